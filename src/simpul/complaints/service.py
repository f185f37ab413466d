"""Complaints' public API: what other domains and the complaint routes call (decision 0056).

The rules live in use-case modules beside it: ``rules`` (who acts, who may read, deadlines,
history), ``filing``, ``handling`` (the desk, the agency, the citizen); later ones
(``photos``, ``classifier``, ``duplicates``, ``escalation``, ``forwarding``, ``open311``,
``figures``) add their public functions here too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from simpul.complaints import repository as _erasure_repository
from simpul.complaints.citizen import (
    ExportedComplaint,
    ListFilter,
    agencies_by_id,
    complaint_by_id,
    complaints_of_user_for_export,
    file_with_photos,
    limit_filing,
    list_filter,
    own_complaints,
    public_list,
    public_map,
)
from simpul.complaints.classifier import Report as RoutingReport
from simpul.complaints.classifier import Suggestion, suggest, suggest_for, suggest_if_missing
from simpul.complaints.classifier import evaluate as evaluate_routing
from simpul.complaints.duplicates import DuplicateCandidate
from simpul.complaints.duplicates import candidates as duplicate_candidates
from simpul.complaints.escalation import escalate_overdue
from simpul.complaints.figures import ComplaintFigures, complaint_figures
from simpul.complaints.filing import (
    Filed,
    Filing,
    contact_of,
    file_complaint,
)
from simpul.complaints.forwarding import (
    MAX_INBOUND_BYTES,
    TargetForm,
    forward_out,
    forward_signature,
    forward_signature_valid,
    forward_target,
    forward_targets,
    forwards_of,
    receive_forwarded,
    save_forward_target,
)
from simpul.complaints.handling import (
    SplitPart,
    answer,
    follow,
    forward_within,
    is_following,
    mark_forwarded_out,
    merge,
    rate,
    reject,
    reopen,
    reopen_deadline,
    reply,
    request_info,
    route,
    split,
    unfollow,
)
from simpul.complaints.inbox import (
    InboxFilters,
    InboxPage,
    InboxRow,
    Reporter,
    agencies,
    check_version,
    form_version,
    in_savepoint,
    inbox_choices,
    inbox_page,
    needing_action_count,
    parent_number,
    record_photo_view,
    record_view,
    reporter_of,
)
from simpul.complaints.models import (
    DEFAULT_DEADLINES,
    OPEN_STATUSES,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintForward,
    ComplaintForwardTarget,
    ComplaintKind,
    ComplaintPhoto,
    ComplaintSource,
    ComplaintStatus,
    DeadlineClass,
    ForwardStatus,
    ForwardTargetKind,
)
from simpul.complaints.open311 import RequestQuery as Open311Query
from simpul.complaints.open311 import (
    api_views,
    issue_open311_key,
    open311_key_by_prefix,
    open311_keys,
    public_complaint_page,
    revoke_open311_key,
)
from simpul.complaints.open311 import as_json as open311_json
from simpul.complaints.open311 import discovery as open311_discovery
from simpul.complaints.open311 import find_requests as open311_requests
from simpul.complaints.open311 import get_request as open311_request
from simpul.complaints.open311 import post_request as open311_post_request
from simpul.complaints.open311 import region_for as open311_region
from simpul.complaints.open311 import service_definition as open311_service_definition
from simpul.complaints.open311 import services as open311_services
from simpul.complaints.open311 import token_request as open311_token_request
from simpul.complaints.open311_xml import document as open311_xml
from simpul.complaints.open311_xml import errors as open311_xml_errors
from simpul.complaints.photos import (
    MAX_PHOTO_BYTES,
    PreparedPhoto,
    photo_bytes,
    photo_of,
    prepare_photo,
    prepare_photos,
    store_photos,
)
from simpul.complaints.rules import (
    ADDRESS_MAX,
    CONTACT_PURPOSE,
    DESCRIPTION_MAX,
    DESCRIPTION_MIN,
    MAX_PHOTOS,
    MESSAGE_MAX,
    REOPEN_DAYS,
    TITLE_MAX,
    Actor,
    CategoryForm,
    Overdue,
    agency_ids_of,
    can_handle,
    categories,
    category_by_code,
    category_of,
    children,
    create_category,
    deadline_class_of,
    deadline_table,
    due_dates,
    followers,
    handled_complaint,
    history,
    is_desk,
    is_owner,
    new_number,
    overdue,
    owned_complaint,
    photos,
    public_complaint,
    readable_complaint,
    record_step,
    reporter_visible_to,
    runs_complaints,
    save_category,
    set_deadline,
    staff_actor,
    text_error,
    update_category,
)
from simpul.complaints.seeding import PastComplaint, PastStep, add_past_complaints

__all__ = [
    "ADDRESS_MAX",
    "CONTACT_PURPOSE",
    "DEFAULT_DEADLINES",
    "DESCRIPTION_MAX",
    "DESCRIPTION_MIN",
    "MAX_INBOUND_BYTES",
    "MAX_PHOTOS",
    "MAX_PHOTO_BYTES",
    "MESSAGE_MAX",
    "OPEN_STATUSES",
    "REOPEN_DAYS",
    "TITLE_MAX",
    "Actor",
    "CategoryForm",
    "Complaint",
    "ComplaintCategory",
    "ComplaintEvent",
    "ComplaintFigures",
    "ComplaintForward",
    "ComplaintForwardTarget",
    "ComplaintKind",
    "ComplaintPhoto",
    "ComplaintSource",
    "ComplaintStatus",
    "DeadlineClass",
    "DuplicateCandidate",
    "ExportedComplaint",
    "Filed",
    "Filing",
    "ForwardStatus",
    "ForwardTargetKind",
    "InboxFilters",
    "InboxPage",
    "InboxRow",
    "ListFilter",
    "Open311Query",
    "Overdue",
    "PastComplaint",
    "PastStep",
    "PreparedPhoto",
    "Reporter",
    "RoutingReport",
    "SplitPart",
    "Suggestion",
    "TargetForm",
    "add_past_complaints",
    "agencies",
    "agencies_by_id",
    "agency_ids_of",
    "answer",
    "api_views",
    "can_handle",
    "categories",
    "category_by_code",
    "category_of",
    "check_version",
    "children",
    "complaint_by_id",
    "complaint_figures",
    "complaints_of_user_for_export",
    "contact_of",
    "create_category",
    "deadline_class_of",
    "deadline_table",
    "due_dates",
    "duplicate_candidates",
    "escalate_overdue",
    "evaluate_routing",
    "file_complaint",
    "file_with_photos",
    "follow",
    "followers",
    "form_version",
    "forward_out",
    "forward_signature",
    "forward_signature_valid",
    "forward_target",
    "forward_targets",
    "forward_within",
    "forwards_of",
    "handled_complaint",
    "history",
    "in_savepoint",
    "inbox_choices",
    "inbox_page",
    "is_desk",
    "is_following",
    "is_owner",
    "issue_open311_key",
    "limit_filing",
    "list_filter",
    "mark_forwarded_out",
    "merge",
    "needing_action_count",
    "new_number",
    "open311_discovery",
    "open311_json",
    "open311_key_by_prefix",
    "open311_keys",
    "open311_post_request",
    "open311_region",
    "open311_request",
    "open311_requests",
    "open311_service_definition",
    "open311_services",
    "open311_token_request",
    "open311_xml",
    "open311_xml_errors",
    "overdue",
    "own_complaints",
    "owned_complaint",
    "parent_number",
    "photo_bytes",
    "photo_of",
    "photos",
    "prepare_photo",
    "prepare_photos",
    "public_complaint",
    "public_complaint_page",
    "public_list",
    "public_map",
    "rate",
    "readable_complaint",
    "receive_forwarded",
    "record_photo_view",
    "record_step",
    "record_view",
    "reject",
    "reopen",
    "reopen_deadline",
    "reply",
    "reporter_of",
    "reporter_visible_to",
    "request_info",
    "revoke_open311_key",
    "route",
    "runs_complaints",
    "save_category",
    "save_forward_target",
    "set_deadline",
    "split",
    "staff_actor",
    "store_photos",
    "suggest",
    "suggest_for",
    "suggest_if_missing",
    "text_error",
    "unfollow",
    "update_category",
]


# -- erasure of a closed account and a breach's scope (identity.closure) --------------------


def unlink_reporter(session: Session, region_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Closing an account: its complaints stay (a public record of the service) without the
    reporter: no account, no contact, no follows. The history is append-only and stays."""
    return _erasure_repository.unlink_reporter(session, region_id, user_id)


def reporters_in_scope(
    session: Session,
    region_id: uuid.UUID,
    *,
    agency_ids: Sequence[uuid.UUID] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Sequence[uuid.UUID]:
    """The accounts that filed complaints (of these agencies, active in the period)."""
    return _erasure_repository.reporters_in_scope(
        session, region_id, agency_ids=agency_ids, since=since, until=until
    )
