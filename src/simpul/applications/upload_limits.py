"""The limits on citizens' uploads: a request rate per account and per source address, and a
quota of pending bytes (documents no submitted application uses yet).

Every citizen upload, from the pages and from the API, goes through ``receive_citizen_files``:

1. the account's uploads are serialised (an advisory lock held to the end of the
   transaction), so parallel requests are counted one after the other and cannot overshoot;
2. the request is counted (``upload_attempt``) and refused with 429 past either rate;
3. in a savepoint: every file is checked (size, type, content), the quota is checked against
   all of them together, then they are stored and recorded.

A refusal in step 3 rolls the savepoint back (nothing stored, nothing recorded) but keeps the
counted attempt: junk that is refused still costs the server, so it counts
(``DomainError.keep_record``, committed by the request boundary).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from datetime import datetime, timedelta
from typing import IO, Final, TypeVar

from babel.numbers import format_decimal
from sqlalchemy.orm import Session

from simpul.accounts.models import User
from simpul.applications import upload_repository
from simpul.applications.files import StagedFile, StoredFile, megabytes, staged_upload, store_staged
from simpul.applications.upload_models import UploadAttempt
from simpul.applications.uploads import UploadRules, new_upload_key
from simpul.core import file_removals, security
from simpul.core.errors import DomainError, TooManyRequests
from simpul.core.i18n import _, current_locale, ngettext
from simpul.core.models import Region, utcnow
from simpul.core.storage import Storage

T = TypeVar("T")

ADDRESS_PURPOSE: Final = "upload-source-address"
#: Attempts are kept at least this long (rate windows are shorter), then the worker deletes them.
KEEP_ATTEMPTS: Final = timedelta(days=1)


class UploadQuotaExceeded(DomainError):
    """The citizen's pending documents and this upload together pass the quota."""

    status_code = 413
    code = "upload_quota_exceeded"

    def __init__(self, pending: int, rules: UploadRules) -> None:
        message = _(
            "Kuota unggahan Anda tidak cukup untuk berkas ini: dokumen yang belum terkirim "
            "bersama permohonan sudah %(used)s MB dari batas %(quota)s MB. Kirim dulu "
            "permohonan yang masih draf, atau tunggu: dokumen yang tidak dipakai permohonan "
            "dihapus otomatis %(hours)s jam setelah diunggah."
        ) % {
            "used": megabytes(pending),
            "quota": megabytes(rules.pending_quota_bytes),
            "hours": format_decimal(
                rules.unattached_hours, format="#,##0.#", locale=current_locale.get()
            ),
        }
        super().__init__(message, details=[{"field": "file", "message": message}])


def address_hash(address: str) -> bytes:
    """A keyed hash of the source address; IPv6 addresses count per /64 (one subscriber)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        network = address
    else:
        network = (
            str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
        )
    return security.keyed_hash(ADDRESS_PURPOSE, network)


def _too_many(
    message_for: Callable[[int], str], oldest: datetime | None, window: timedelta, now: datetime
) -> TooManyRequests:
    seconds = max(1, int(((oldest or now) + window - now).total_seconds()) + 1)
    return TooManyRequests(message_for(max(1, -(-seconds // 60))), retry_after_seconds=seconds)


def _account_message(minutes: int) -> str:
    return ngettext(
        "Terlalu banyak unggahan dalam waktu singkat. Tunggu %(n)d menit, lalu unggah lagi.",
        "Terlalu banyak unggahan dalam waktu singkat. Tunggu %(n)d menit, lalu unggah lagi.",
        minutes,
    ) % {"n": minutes}


def _address_message(minutes: int) -> str:
    return ngettext(
        "Terlalu banyak unggahan dari jaringan Anda dalam waktu singkat. Tunggu %(n)d menit, "
        "lalu unggah lagi.",
        "Terlalu banyak unggahan dari jaringan Anda dalam waktu singkat. Tunggu %(n)d menit, "
        "lalu unggah lagi.",
        minutes,
    ) % {"n": minutes}


def count_upload(
    session: Session, region: Region, uploader: User, address: str, rules: UploadRules
) -> None:
    """Lock the uploader's uploads, refuse past a rate (429), else count this request."""
    upload_repository.lock_uploader(session, uploader.id)
    now = utcnow()
    window = timedelta(minutes=rules.rate_window_minutes)
    hashed = address_hash(address)
    count, oldest = upload_repository.attempts_of_account_since(session, uploader.id, now - window)
    if count >= rules.rate_per_account:
        raise _too_many(_account_message, oldest, window, now)
    count, oldest = upload_repository.attempts_from_address_since(session, hashed, now - window)
    if count >= rules.rate_per_address:
        raise _too_many(_address_message, oldest, window, now)
    upload_repository.add_attempt(
        session,
        UploadAttempt(region_id=region.id, account_id=uploader.id, address_hash=hashed, at=now),
    )


def check_quota(
    session: Session, region: Region, owner: User, incoming: int, rules: UploadRules
) -> None:
    """Refuse (413) when the owner's pending documents and ``incoming`` bytes pass the quota.

    Call with the uploader's lock held (``count_upload``), so the sum cannot change meanwhile.
    """
    pending = upload_repository.pending_upload_bytes(session, region.id, owner.id)
    if pending + incoming > rules.pending_quota_bytes:
        raise UploadQuotaExceeded(pending, rules)


def receive_citizen_files(
    session: Session,
    region: Region,
    owner: User,
    files: Sequence[tuple[IO[bytes], str]],
    *,
    storage: Storage,
    rules: UploadRules,
    address: str,
    record: Callable[[StoredFile, str], T],
) -> list[T]:
    """Count, check, store and ``record`` a citizen's files (stream, file name); see the module.

    ``record`` writes the row of one stored file (and may refuse it: the files of this request
    already stored are deleted again). Stored files are deleted should the transaction roll
    back later.
    """
    count_upload(session, region, owner, address, rules)
    try:
        with session.begin_nested():
            return _receive(session, region, owner, files, storage, rules, record)
    except DomainError as refused:
        refused.keep_record = True
        raise


def _receive(
    session: Session,
    region: Region,
    owner: User,
    files: Sequence[tuple[IO[bytes], str]],
    storage: Storage,
    rules: UploadRules,
    record: Callable[[StoredFile, str], T],
) -> list[T]:
    with ExitStack() as stack:
        staged: list[tuple[StagedFile, str]] = [
            (
                stack.enter_context(
                    staged_upload(
                        stream, max_bytes=rules.max_bytes, max_image_pixels=rules.max_image_pixels
                    )
                ),
                name,
            )
            for stream, name in files
        ]
        check_quota(session, region, owner, sum(s.size for s, _name in staged), rules)
        stored_keys: list[str] = []
        results: list[T] = []
        try:
            for staged_file, name in staged:
                stored = store_staged(staged_file, storage, new_upload_key(region))
                stored_keys.append(stored.key)
                results.append(record(stored, name))
            session.flush()
        except BaseException:
            for key in stored_keys:
                storage.delete(key)
            raise
    for key in stored_keys:
        file_removals.delete_if_rolled_back(session, storage, key)
    return results
