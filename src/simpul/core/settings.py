"""Settings, read once from the environment (prefix ``SIMPUL_``) and from ``.env``."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a deployment can set. Defaults give a working local demo."""

    model_config = SettingsConfigDict(env_prefix="SIMPUL_", env_file=".env", extra="ignore")

    #: Any PostgreSQL. Unset: the embedded server under ``data_dir``.
    database_url: str | None = None
    #: Where the embedded PostgreSQL, the generated secret key and uploads live.
    data_dir: Path = Path("var")
    #: Signs CSRF tokens and derives the keys that protect NIKs. Unset: generated once
    #: and kept in ``data_dir/secret.key``; production sets it (and keeps it safe).
    secret_key: str | None = None
    #: Debug only relaxes the ``Secure`` flag on cookies so the demo works over http.
    debug: bool = False
    default_locale: str = "id"
    session_days: int = Field(default=14, ge=1)
    #: Failed logins allowed per (account, source address) in the window; then that pair waits.
    login_max_failures: int = Field(default=5, ge=1)
    #: Failed logins allowed per account from all addresses together (a guesser with many).
    login_max_failures_per_account: int = Field(default=50, ge=1)
    #: Failed logins allowed per source address across all accounts (credential stuffing).
    login_max_failures_per_ip: int = Field(default=30, ge=1)
    login_window_minutes: int = Field(default=15, ge=1)
    #: Registrations allowed per source address, per NIK and per e-mail address in the window.
    registration_max_per_ip: int = Field(default=30, ge=1)
    registration_max_per_nik: int = Field(default=5, ge=1)
    registration_max_per_email: int = Field(default=5, ge=1)
    registration_window_minutes: int = Field(default=60, ge=1)
    #: How long the activation link of a new registration works; unused registrations are
    #: deleted after it.
    registration_activation_hours: int = Field(default=24, ge=1)
    #: Where uploaded documents go: "local" (under ``storage_dir``) or "s3" (any S3-compatible).
    storage_backend: Literal["local", "s3"] = "local"
    #: Local document storage; unset: ``data_dir/uploads``.
    storage_dir: Path | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_prefix: str = ""
    #: Largest document a citizen may upload, in bytes.
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    #: Largest image (width x height, read from its header) an upload may be: bigger ones are
    #: refused before anything decodes them (decompression bombs). 40 MP holds an A4 page
    #: scanned at 600 dpi and any phone photo that fits in ``upload_max_bytes``.
    upload_max_image_pixels: int = Field(default=40_000_000, ge=10_000)
    #: What one citizen's documents not yet sent with an application (uploaded ahead through
    #: the API, or attached to a draft) may add up to, in bytes.
    upload_pending_quota_bytes: int = Field(default=100 * 1024 * 1024, ge=1024)
    #: Hours after which ``simpul worker`` deletes a document never attached to an
    #: application (its file and its row).
    upload_unattached_hours: float = Field(default=24.0, gt=0)
    #: Upload requests one account may make per window (refused ones count too).
    upload_rate_per_account: int = Field(default=30, ge=1)
    #: Upload requests from one source address (an IPv6 /64) per window, all accounts
    #: together; generous, since mobile carriers put many citizens behind one address.
    upload_rate_per_address: int = Field(default=300, ge=1)
    upload_rate_window_minutes: int = Field(default=10, ge=1, le=1440)
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    #: Seconds a request waits for a free pooled connection before it is answered 503 (shorter
    #: than a client's patience: a full pool sheds load instead of queueing for ever).
    db_pool_timeout_seconds: float = Field(default=5.0, gt=0)
    #: Requests of one ``simpul serve`` process that may work with the database at once; the
    #: rest wait their turn (``request_queue_seconds``), then get 503. Unset: the pool's
    #: connections less one, which ``/healthz`` keeps for itself.
    max_concurrent_requests: int | None = Field(default=None, ge=1)
    #: Seconds a request waits for its turn when ``max_concurrent_requests`` are at work.
    request_queue_seconds: float = Field(default=2.0, ge=0)
    #: Connections the kernel keeps waiting for ``simpul serve`` to accept them; more wait
    #: for the client's own retry. Small, so that after a burst the server does not spend
    #: seconds on the queued requests of clients who have given up.
    http_backlog: int = Field(default=128, ge=16)
    #: On SIGTERM, seconds the servers let requests in progress finish before cancelling them.
    shutdown_timeout_seconds: int = Field(default=10, ge=1)
    #: HTTP limits of both servers (``simpul serve`` and ``simpul gateway``), refused before the
    #: application sees the request: the request line (414), the header block and the number
    #: of header fields (431).
    http_max_request_line_bytes: int = Field(default=8192, ge=256)
    http_max_header_bytes: int = Field(default=16384, ge=1024)
    http_max_headers: int = Field(default=100, ge=10)
    #: Largest request body ``simpul serve`` reads (413, from Content-Length before reading it,
    #: or counted when chunked). Unset: ``upload_max_bytes`` plus 1 MiB for the rest of the
    #: form. ``simpul gateway`` uses ``gateway_max_body_bytes``.
    http_max_body_bytes: int | None = Field(default=None, ge=1024)
    #: Seconds a client has to send a request's headers, from the connection (or the first
    #: byte of a request after the previous one); then 408 and the connection is closed.
    http_header_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Seconds a request body may pause between two reads before 408 and close.
    http_body_timeout_seconds: float = Field(default=30.0, gt=0)
    #: Where ``simpul gateway`` listens (the data plane has its own port).
    gateway_host: str = "127.0.0.1"
    gateway_port: int = Field(default=8080, ge=1, le=65535)
    #: Largest request body a client may send through the gateway (a service may lower it).
    gateway_max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    #: Pooled connections to providers, per gateway process.
    gateway_upstream_connections: int = Field(default=100, ge=1)
    #: Seconds between checks that the cached configuration is current (changes are also
    #: pushed with PostgreSQL NOTIFY, so this is only the fallback).
    gateway_refresh_seconds: float = Field(default=5.0, gt=0)
    #: Bodies kept in the message log for services that ask for it are cut at this size.
    gateway_logged_body_bytes: int = Field(default=1024 * 1024, ge=0)
    #: Calls one source address may have refused per minute before the gateway knows who is
    #: calling (no key, a wrong key, an unknown client); beyond it: 429 with Retry-After.
    gateway_unidentified_per_minute: int = Field(default=60, ge=1)
    #: Seconds between writes of the per-minute counts of such refusals (``gateway_refusal``).
    gateway_refusal_flush_seconds: float = Field(default=5.0, gt=0)
    #: Redis for rate limits shared by every gateway process; unset: limits per process.
    redis_url: str | None = None
    #: Map tiles for the complaint pages, e.g. ``https://tile.openstreetmap.org/{z}/{x}/{y}.png``
    #: (your own tile server in production: OSM's asks heavy users not to use theirs). Empty:
    #: no map; citizens give an address or coordinates instead (decision 0056).
    map_tile_url: str = ""
    #: The attribution the tile server's licence asks for, shown on the map.
    map_attribution: str = "© OpenStreetMap contributors"
    #: Where a map opens before anything is marked: "latitude,longitude" (Kota Bandung).
    map_default_center: str = "-6.9175,107.6191"
    #: Minutes between two runs of the complaint escalation in ``simpul worker`` (deadlines
    #: pass by the day; this only bounds how late in the day an escalation goes out).
    complaint_escalation_minutes: int = Field(default=15, ge=1)
    #: Where links in messages (e-mail, webhook) and on documents point: the portal's address.
    public_url: str = "http://127.0.0.1:8000"
    #: Outgoing e-mail. The defaults suit a local test server (`python -m aiosmtpd -n`).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=8025, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    #: Turn on in production (STARTTLS; implicit TLS on 465 is not supported).
    smtp_starttls: bool = False
    smtp_from: str = "Simpul <noreply@localhost>"
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    #: One JSON webhook for every region (a WhatsApp/SMS adapter), until regions set their own.
    notify_webhook_url: str | None = None
    notify_max_attempts: int = Field(default=8, ge=1)
    notify_retry_base_seconds: float = Field(default=30.0, gt=0)
    notify_retry_max_seconds: float = Field(default=3600.0, gt=0)
    #: A delivery being sent is taken over by another worker after this (longer than timeouts).
    notify_lease_seconds: float = Field(default=300.0, gt=0)
    notify_poll_seconds: float = Field(default=5.0, gt=0)
    #: Issuing documents: tries before a job is given up, and the first retry's delay.
    document_max_attempts: int = Field(default=5, ge=1)
    document_retry_base_seconds: float = Field(default=30.0, gt=0)
    #: An RFC 3161 time-stamp authority for document signatures (e.g. BSrE's); unset: none.
    tsa_url: str | None = None
    #: The PKCS#11 library of the tokens officers sign with (an HSM's or smart card's .so).
    pkcs11_module: str | None = None
    #: Document verifications (a code looked up, a file checked) each source address may
    #: make a minute, per ``simpul serve`` process; more get 429 with Retry-After.
    verification_lookups_per_minute: int = Field(default=30, ge=1)
    #: Calls of the public Registration API statistics (``/data/statistics``) without an API
    #: token each source address may make a minute, per process; more get 429.
    public_statistics_per_minute: int = Field(default=30, ge=1)

    # -- One login (identity/oidc, decision 0057) -------------------------------------------
    #: Lifetime of an access token (a JWT the gateway and resource servers check) and of an
    #: ID token. Short: revocation reaches a JWT only through introspection.
    oidc_access_token_minutes: int = Field(default=10, ge=1, le=60)
    #: Lifetime of a refresh token; each use gives a new one (rotation) and ends the old one.
    oidc_refresh_token_days: int = Field(default=30, ge=1)
    #: Lifetime of an authorization code (single use).
    oidc_code_seconds: int = Field(default=60, ge=10, le=600)
    #: A region's signing key signs new tokens this long; then a new key takes over and the
    #: old one stays in the JWKS until the last token it signed has expired.
    oidc_key_rotation_days: int = Field(default=90, ge=1)

    # -- Second factors and devices (identity/mfa) ------------------------------------------
    #: Region admins and officers who sign (penandatangan) must have a second factor: after
    #: the password they are sent to set one up, and signing needs a login proven with it.
    mfa_required: bool = True
    #: Wrong second-factor codes a user may enter in ``mfa_window_minutes`` before refusals.
    mfa_max_failures: int = Field(default=5, ge=1)
    mfa_window_minutes: int = Field(default=15, ge=1)

    # -- Account recovery and verification (accounts/recovery) ------------------------------

    #: How long a password reset link works.
    password_reset_minutes: int = Field(default=30, ge=5)
    #: How long the link that proves a new e-mail address works.
    email_change_hours: int = Field(default=24, ge=1)
    #: How long a phone verification code works, and how many wrong tries it takes.
    phone_code_minutes: int = Field(default=10, ge=1)
    phone_code_max_tries: int = Field(default=5, ge=1)
    #: The least time between two codes sent for one account.
    phone_code_resend_seconds: int = Field(default=60, ge=0)
    #: Requests that send a reset link, change link or phone code, per window: per e-mail
    #: address (or account) and per source address.
    recovery_window_minutes: int = Field(default=60, ge=1)
    recovery_max_per_subject: int = Field(default=5, ge=1)
    recovery_max_per_ip: int = Field(default=20, ge=1)

    # -- Data rights under UU PDP (identity/rights) -----------------------------------------
    #: What a closed account leaves behind is kept this long, then ``simpul pdp purge``
    #: deletes it (the region documents these periods, docs/operations.md "Retensi").
    #: Issued documents (izin, surat keterangan) and the application records behind them:
    #: arsip, UU 43/2009 tentang Kearsipan and the region's JRA (jadwal retensi arsip).
    pdp_retention_documents_years: int = Field(default=10, ge=1, le=100)
    #: Other applications (rejected, cancelled, drafts): the record of the service given
    #: (number, service, status, dates; the answers and uploads are erased at closure):
    #: UU 25/2009 tentang Pelayanan Publik and the region's JRA.
    pdp_retention_applications_years: int = Field(default=5, ge=1, le=100)
    #: Complaints (text kept for the public record, the reporter unlinked at closure):
    #: Perpres 76/2013 (SP4N-LAPOR!) and the region's JRA.
    pdp_retention_complaints_years: int = Field(default=5, ge=1, le=100)
    #: The audit trail (who did what, staff reads of personal data): UU PDP Pasal 31 and
    #: PP 71/2019 (PSTE) on electronic system logs.
    pdp_retention_audit_years: int = Field(default=5, ge=1, le=100)
    #: Notification deliveries (the message log of e-mails and messages sent): kept only
    #: as long as delivery disputes are answered; a closed account's are deleted at once.
    pdp_retention_notifications_days: int = Field(default=90, ge=1, le=3650)

    def resolved_secret_key(self) -> str:
        """Return the configured secret, creating ``secret.key`` for a local install once."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def uploads_dir(self) -> Path:
        return self.storage_dir or self.data_dir / "uploads"

    def concurrent_requests(self) -> int:
        """``max_concurrent_requests``, or the pool's connections less the one of /healthz."""
        pool = self.db_pool_size + self.db_max_overflow
        return self.max_concurrent_requests or max(1, pool - 1)

    def portal_max_body_bytes(self) -> int:
        """The largest request body ``simpul serve`` reads."""
        return self.http_max_body_bytes or self.upload_max_bytes + 1024 * 1024


@lru_cache
def get_settings() -> Settings:
    return Settings()
