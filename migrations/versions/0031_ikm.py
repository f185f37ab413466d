"""IKM: the respondent's profile and the agency's review of suggestions.

``survey_response`` gains the four optional profile answers of the PermenPANRB 14/2017 form
(each kept inside its list by a check), and the review of the suggestion: when and by whom it
was read, the agency's reply, and the masked copies shown on the public IKM page once published
(decision 0054).

Revision ID: 0031_ikm
Revises: 0030_track
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0031_ikm"
down_revision: str | None = "0030_track"
branch_labels = None
depends_on = None

#: The lists as they were when this migration was written (profile.py may grow later, with
#: its own migration).
_LISTS = {
    "gender": ("laki_laki", "perempuan"),
    "age_group": ("lt20", "20_29", "30_39", "40_49", "50_59", "60plus"),
    "education": ("sd", "smp", "sma", "d1_d3", "d4_s1", "s2", "s3"),
    "occupation": ("pns", "tni", "polri", "swasta", "wirausaha", "lainnya"),
}


def upgrade() -> None:
    for column, keys in _LISTS.items():
        op.add_column("survey_response", sa.Column(column, sa.String(length=20), nullable=True))
        listed = ", ".join(f"'{key}'" for key in keys)
        op.create_check_constraint(
            op.f(f"ck_survey_response_{column}_in_list"),
            "survey_response",
            f"{column} IS NULL OR {column} IN ({listed})",
        )
    op.add_column(
        "survey_response", sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("survey_response", sa.Column("reviewed_by_id", sa.Uuid(), nullable=True))
    for column in ("reply", "public_suggestion", "public_reply"):
        op.add_column(
            "survey_response", sa.Column(column, sa.Text(), server_default="", nullable=False)
        )
    op.add_column(
        "survey_response",
        sa.Column("published", sa.Boolean(), server_default="false", nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_survey_response_reply_length"), "survey_response", "char_length(reply) <= 1000"
    )
    op.create_check_constraint(
        op.f("ck_survey_response_published_after_review"),
        "survey_response",
        "NOT published OR reviewed_at IS NOT NULL",
    )
    op.create_foreign_key(
        op.f("fk_survey_response_region_id_reviewed_by_id_user_account"),
        "survey_response",
        "user_account",
        ["region_id", "reviewed_by_id"],
        ["region_id", "id"],
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_survey_response_region_id_reviewed_by_id_user_account"),
        "survey_response",
        type_="foreignkey",
    )
    op.drop_constraint(
        op.f("ck_survey_response_published_after_review"), "survey_response", type_="check"
    )
    op.drop_constraint(op.f("ck_survey_response_reply_length"), "survey_response", type_="check")
    for column in ("published", "public_reply", "public_suggestion", "reply", "reviewed_by_id"):
        op.drop_column("survey_response", column)
    op.drop_column("survey_response", "reviewed_at")
    for column in reversed(_LISTS):
        op.drop_constraint(
            op.f(f"ck_survey_response_{column}_in_list"), "survey_response", type_="check"
        )
        op.drop_column("survey_response", column)
