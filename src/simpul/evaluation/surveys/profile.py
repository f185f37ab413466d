"""The respondent's profile on the survey form of PermenPANRB 14/2017 (jenis kelamin, usia,
pendidikan, pekerjaan): every question optional, each answer one of a closed list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from simpul.core.i18n import lazy

#: Below this many respondents a profile group's IKM is not shown: a group of two or three
#: people in one small service could be recognised by the officers who served them.
MIN_GROUP: Final = 5


@dataclass(frozen=True)
class ProfileQuestion:
    """One profile question: the form field, the stored column, the label and the answers
    (stored key -> label), in the order the form shows them."""

    field: str
    column: str
    label: str
    options: tuple[tuple[str, str], ...]

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _label in self.options)

    def label_of(self, key: str) -> str:
        return dict(self.options).get(key, key)


QUESTIONS: Final[tuple[ProfileQuestion, ...]] = (
    ProfileQuestion(
        "jenis_kelamin",
        "gender",
        lazy("Jenis kelamin"),
        (("laki_laki", lazy("Laki-laki")), ("perempuan", lazy("Perempuan"))),
    ),
    ProfileQuestion(
        "usia",
        "age_group",
        lazy("Kelompok usia"),
        (
            ("lt20", lazy("Di bawah 20 tahun")),
            ("20_29", lazy("20-29 tahun")),
            ("30_39", lazy("30-39 tahun")),
            ("40_49", lazy("40-49 tahun")),
            ("50_59", lazy("50-59 tahun")),
            ("60plus", lazy("60 tahun ke atas")),
        ),
    ),
    ProfileQuestion(
        "pendidikan",
        "education",
        lazy("Pendidikan terakhir"),
        (
            ("sd", "SD"),
            ("smp", "SMP"),
            ("sma", "SMA"),
            ("d1_d3", "D1-D3"),
            ("d4_s1", "D4/S1"),
            ("s2", "S2"),
            ("s3", "S3"),
        ),
    ),
    ProfileQuestion(
        "pekerjaan",
        "occupation",
        lazy("Pekerjaan utama"),
        (
            ("pns", "PNS"),
            ("tni", "TNI"),
            ("polri", "POLRI"),
            ("swasta", lazy("Pegawai swasta")),
            ("wirausaha", lazy("Wirausaha")),
            ("lainnya", lazy("Lainnya")),
        ),
    ),
)

PROFILE_FIELDS: Final = tuple(question.field for question in QUESTIONS)


def check_constraint(question: ProfileQuestion) -> str:
    """The SQL that keeps a stored profile answer inside its list (or empty)."""
    keys = ", ".join(f"'{key}'" for key in question.keys)
    return f"{question.column} IS NULL OR {question.column} IN ({keys})"
