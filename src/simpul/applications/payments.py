"""Payment of a retribusi at a workflow step of kind ``payment`` (decisions 0041, 0047).

The amount due is the service's fee (``service.fee_rupiah``) when it states one, else what an
officer assessed at an earlier data-entry step (``application.officer_data["retribusi_rupiah"]``).
It is recorded in one of two ways, both ending in an ``application_payment`` row (a reference
once per region, a step paid once) and the payment in ``application.officer_data[<step>]``:

- the officer approving the payment task types the reference and the amount
  (``before_approve``, called by the workflow's step dispatcher);
- the payment provider sends a notification signed with HMAC-SHA256 under the region's secret
  (``record_notification``): the payment is recorded and the waiting task approved as
  "sistem pembayaran", opening the next step.

The region's secret is derived from the server secret (``SIMPUL_SECRET_KEY``) and the region's
id, so nothing is stored; ``simpul payments secret --region R`` prints it for the provider.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import payment_repository, repository
from simpul.applications.models import (
    Application,
    ApplicationStatus,
    TaskOutcome,
    TaskStatus,
)
from simpul.applications.notices import notify_applicant
from simpul.applications.payment_models import ApplicationPayment
from simpul.applications.submission import open_task, record_event, workflow_of
from simpul.catalogue.models import Service
from simpul.catalogue.standard import WorkflowStep
from simpul.core.errors import Conflict, InvalidInput, NotFound, Unauthorized
from simpul.core.i18n import _
from simpul.core.models import Region, utcnow
from simpul.core.security import derived_key

#: The header carrying ``sha256=<hex>`` of the raw body.
SIGNATURE_HEADER: Final = "X-Simpul-Signature"
#: A notification is a few hundred bytes; anything much larger is refused unread.
MAX_NOTIFICATION_BYTES: Final = 4096
#: The label of the approvals the provider's notification makes, in the history.
SYSTEM_ACTOR: Final = "sistem pembayaran"
#: Where an officer-assessed amount is kept (a data_entry field of that code).
ASSESSED_FIELD: Final = "retribusi_rupiah"
#: A payment time may be this far ahead of the server's clock (clock drift), no more.
CLOCK_SKEW: Final = timedelta(minutes=5)
MAX_AMOUNT: Final = 10**15
_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/\-]{2,99}$")
_NOTIFICATION_KEYS: Final = frozenset({"bill", "reference", "amount", "paid_at"})


class PaymentInputs(Protocol):
    """What the officer typed at a payment step (``steps.StepInputs`` carries these)."""

    @property
    def payment_reference(self) -> str: ...

    @property
    def payment_amount(self) -> str: ...


# -- the amount due -----------------------------------------------------------------------


def parse_rupiah(raw: object) -> int | None:
    """Whole rupiah from an officer's entry ("150000", "150.000", "Rp 150.000"); None when it
    is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw < MAX_AMOUNT else None
    if not isinstance(raw, str):
        return None
    text = raw.strip().removeprefix("Rp").removeprefix("rp").strip()
    if not re.fullmatch(r"\d{1,3}(\.\d{3})+|\d{1,15}", text):
        return None
    value = int(text.replace(".", ""))
    return value if 0 < value < MAX_AMOUNT else None


def amount_due(application: Application, service: Service) -> int | None:
    """What the applicant must pay: the service's fee, else the officer's assessment; None
    while neither is known."""
    if service.fee_rupiah > 0:
        return service.fee_rupiah
    return parse_rupiah((application.officer_data or {}).get(ASSESSED_FIELD))


# -- recording ----------------------------------------------------------------------------


def _record(
    session: Session,
    region: Region,
    application: Application,
    step: WorkflowStep,
    *,
    reference: str,
    amount: int,
    paid_at: datetime,
    source: str,
    recorded_by: User | None,
) -> ApplicationPayment:
    payment = payment_repository.add_payment(
        session,
        ApplicationPayment(
            region_id=region.id,
            application_id=application.id,
            step=step.code,
            reference=reference,
            amount=amount,
            paid_at=paid_at,
            source=source,
            recorded_by_id=recorded_by.id if recorded_by else None,
        ),
    )
    # A new dict: JSONB changes are seen by assignment, not by mutation.
    application.officer_data = {
        **(application.officer_data or {}),
        step.code: {
            "reference": reference,
            "amount": amount,
            "paid_at": paid_at.isoformat(),
            "source": source,
        },
    }
    return payment


def before_approve(
    session: Session,
    region: Region,
    officer: User,
    application: Application,
    service: Service,
    step: WorkflowStep,
    inputs: PaymentInputs,
) -> None:
    """The officer approves a payment step: a payment already recorded (by the provider)
    suffices; otherwise the reference and the amount typed must be a new reference and the
    amount due. Raises ``InvalidInput`` naming the field; records nothing then."""
    if payment_repository.get_payment_of_step(session, region.id, application.id, step.code):
        return
    due = amount_due(application, service)
    reference = " ".join((inputs.payment_reference or "").split())
    errors: list[dict[str, str]] = []
    if not _REFERENCE.match(reference):
        errors.append(
            {
                "field": "payment_reference",
                "message": _(
                    "Isi nomor referensi pembayaran (3-100 huruf, angka, titik, garis miring "
                    "atau tanda hubung)."
                ),
            }
        )
    amount = parse_rupiah(inputs.payment_amount or "")
    if due is None:
        errors.append(
            {
                "field": "payment_amount",
                "message": _("Besar retribusi belum ditetapkan pada tahap sebelumnya."),
            }
        )
    elif amount is None:
        errors.append(
            {"field": "payment_amount", "message": _("Isi jumlah yang dibayar dalam rupiah.")}
        )
    elif amount != due:
        errors.append(
            {
                "field": "payment_amount",
                "message": _("Jumlah yang dibayar harus sama dengan retribusi: %(due)s.")
                % {"due": rupiah_text(due)},
            }
        )
    if not errors:
        payment_repository.lock_reference(session, region.id, reference)
        if payment_repository.get_payment_by_reference(session, region.id, reference):
            errors.append(
                {
                    "field": "payment_reference",
                    "message": _("Nomor referensi ini sudah tercatat untuk pembayaran lain."),
                }
            )
    if errors:
        raise InvalidInput(_("Pembayaran belum tercatat."), details=errors)
    assert amount is not None
    _record(
        session,
        region,
        application,
        step,
        reference=reference,
        amount=amount,
        paid_at=utcnow(),
        source="officer",
        recorded_by=officer,
    )


def rupiah_text(amount: int) -> str:
    return "Rp" + f"{amount:,}".replace(",", ".")


# -- the provider's notification ----------------------------------------------------------


def webhook_secret(region: Region) -> str:
    """The region's notification secret (hex), derived from the server secret: the same on
    every node, changed only with ``SIMPUL_SECRET_KEY``."""
    return hmac.new(
        derived_key("payment-notifications"), str(region.id).encode(), hashlib.sha256
    ).hexdigest()


def sign(region: Region, body: bytes) -> str:
    """The header value a provider sends with ``body``: ``sha256=<hex>``."""
    digest = hmac.new(webhook_secret(region).encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def _signature_valid(region: Region, body: bytes, header: str | None) -> bool:
    if not header or len(header) > 100:
        return False
    return hmac.compare_digest(sign(region, body).encode(), header.strip().encode())


@dataclass(frozen=True)
class NotificationResult:
    #: ``recorded`` (new), ``already_recorded`` (a replay of a recorded payment).
    status: str
    bill: str
    reference: str
    #: The step the application is at after the payment.
    current_step: str | None


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _v in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _bad(field: str, message: str) -> InvalidInput:
    return InvalidInput(
        _("Notifikasi pembayaran ditolak."), details=[{"field": field, "message": message}]
    )


def _parse_notification(body: bytes) -> tuple[str, str, int, datetime]:
    try:
        data = json.loads(
            body.decode("utf-8"),
            object_pairs_hook=_refuse_duplicates,
            parse_constant=_refuse_constant,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _bad("body", _("Isi notifikasi harus JSON yang sah tanpa kunci ganda.")) from None
    if not isinstance(data, dict):
        raise _bad("body", _("Isi notifikasi harus objek JSON."))
    unknown = sorted(set(data) - _NOTIFICATION_KEYS)
    if unknown:
        raise _bad(unknown[0], _("Kunci ini tidak dikenal."))
    bill, reference, amount, paid_at = (
        data.get(k) for k in ("bill", "reference", "amount", "paid_at")
    )
    if not isinstance(bill, str) or not 1 <= len(bill) <= 40:
        raise _bad("bill", _("bill adalah nomor permohonan (teks)."))
    if not isinstance(reference, str) or not _REFERENCE.match(reference):
        raise _bad("reference", _("reference adalah 3-100 huruf, angka, titik, / atau -."))
    if type(amount) is not int or not 0 < amount < MAX_AMOUNT:
        raise _bad("amount", _("amount adalah bilangan bulat rupiah yang positif."))
    try:
        moment = datetime.fromisoformat(paid_at) if isinstance(paid_at, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None or moment.utcoffset() is None:
        raise _bad("paid_at", _("paid_at adalah waktu ISO 8601 dengan zona waktu."))
    if moment > utcnow() + CLOCK_SKEW:
        raise _bad("paid_at", _("paid_at tidak boleh di masa depan."))
    return bill, reference, amount, moment


def record_notification(
    session: Session, region: Region, body: bytes, signature: str | None
) -> NotificationResult:
    """Check the signature over the raw body, then record the payment and approve the task
    waiting for it. A replay of a recorded payment changes nothing and says so; anything
    else wrong is refused with nothing changed. A bad signature is a bare ``Unauthorized``."""
    if not _signature_valid(region, body, signature):
        raise Unauthorized(_("Tanda tangan notifikasi tidak sah."))
    bill, reference, amount, paid_at = _parse_notification(body)
    payment_repository.lock_reference(session, region.id, reference)
    application = payment_repository.get_application_by_bill(session, region.id, bill)
    if application is None:
        raise NotFound(_("Tagihan %(bill)s tidak dikenal di wilayah ini.") % {"bill": bill})
    earlier = payment_repository.get_payment_by_reference(session, region.id, reference)
    if earlier is not None:
        if earlier.application_id == application.id and earlier.amount == amount:
            return NotificationResult("already_recorded", bill, reference, application.current_step)
        raise Conflict(
            _("Referensi %(ref)s sudah tercatat untuk pembayaran lain.") % {"ref": reference}
        )
    service = repository.get_service_of(session, application)
    workflow = workflow_of(service)
    step = workflow.step(application.current_step)
    task = repository.open_task_of(session, application.id, for_update=True)
    if (
        application.status is not ApplicationStatus.SUBMITTED
        or step is None
        or step.kind != "payment"
        or task is None
        or task.step != step.code
    ):
        raise Conflict(_("Permohonan %(bill)s tidak sedang menunggu pembayaran.") % {"bill": bill})
    if payment_repository.get_payment_of_step(session, region.id, application.id, step.code):
        raise Conflict(_("Tagihan %(bill)s sudah dibayar.") % {"bill": bill})
    due = amount_due(application, service)
    if due is None:
        raise Conflict(_("Besar retribusi tagihan %(bill)s belum ditetapkan.") % {"bill": bill})
    if amount != due:
        raise InvalidInput(
            _("Jumlah pembayaran tidak sama dengan tagihan."),
            details=[
                {
                    "field": "amount",
                    "message": _("Tagihan %(bill)s sebesar %(due)s.")
                    % {"bill": bill, "due": rupiah_text(due)},
                }
            ],
        )
    _record(
        session,
        region,
        application,
        step,
        reference=reference,
        amount=amount,
        paid_at=paid_at,
        source="provider",
        recorded_by=None,
    )
    following = workflow.next_step(step.code)
    if following is not None:
        _approve_as_system(session, application, service, task, following, reference)
    # A payment step that is the last one waits for the officer, who signs: the payment is
    # recorded and their approval needs nothing more.
    return NotificationResult("recorded", bill, reference, application.current_step)


def _approve_as_system(
    session: Session,
    application: Application,
    service: Service,
    task: Any,
    following: WorkflowStep,
    reference: str,
) -> None:
    """Close the payment task as approved by the payment system and open the next step, as
    an officer's approval does (``workflow.act_on_task``)."""
    now = utcnow()
    note = _("Pembayaran diterima, referensi %(ref)s.") % {"ref": reference}
    task.status = TaskStatus.COMPLETED
    task.outcome = TaskOutcome.APPROVE
    task.completed_at = now
    task.claimed_at = task.claimed_at or now
    task.note = note
    session.flush()  # the open task is closed before the next one opens
    before = application.status
    open_task(session, application, service, following)
    record_event(
        session,
        application,
        actor=None,
        actor_label=SYSTEM_ACTOR,
        action="approve",
        from_status=before,
        note=note,
        step=task.step,
    )
    notify_applicant(session, application, "advanced", step=task.step_name)
