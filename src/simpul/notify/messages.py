"""What a delivery says, in its reader's language: the in-app text, a subject and a link."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from simpul.accounts import recovery
from simpul.accounts.models import User
from simpul.accounts.registration import activation_url
from simpul.accounts.staff_invitations import invitation_url
from simpul.applications.service import (
    ACCOUNT_TEXTS,
    OTHER_TEXTS,
    Notification,
    link_of,
    text_of,
)
from simpul.core import i18n
from simpul.core.i18n import lazy
from simpul.core.models import Region

_TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Message:
    """A notification worded for one reader."""

    locale: str
    title: str
    body: str
    url: str
    greeting: str
    #: The words of the link to the application.
    link_label: str
    region_name: str
    footer: str


@contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Translate in ``locale`` inside the block (the worker has no request to set it)."""
    token = i18n.current_locale.set(locale if locale in i18n.LOCALES else i18n.DEFAULT_LOCALE)
    try:
        yield
    finally:
        i18n.current_locale.reset(token)


#: The subjects of the notices about an account (``notices.ACCOUNT_TEXTS``).
_ACCOUNT_SUBJECTS = {
    "account_activation": lazy("Aktifkan akun Anda"),
    "registration_attempt_nik": lazy("Percobaan pendaftaran dengan NIK Anda"),
    "staff_invitation": lazy("Undangan petugas: pasang kata sandi Anda"),
    "registration_attempt_email": lazy("Percobaan pendaftaran dengan alamat e-mail Anda"),
    "password_reset": lazy("Ganti kata sandi akun Anda"),
    "password_reset_done": lazy("Kata sandi akun Anda sudah diganti"),
    "email_change_confirm": lazy("Pastikan alamat e-mail baru Anda"),
    "email_change_requested": lazy("Permintaan ganti alamat e-mail akun Anda"),
    "email_change_done": lazy("Alamat e-mail akun Anda sudah diganti"),
    "email_change_taken": lazy("Alamat e-mail Anda diminta untuk akun lain"),
    "phone_code": lazy("Kode verifikasi nomor HP"),
}


def compose(notice: Notification, user: User, region: Region, public_url: str) -> Message:
    """Word ``notice`` for ``user``: Indonesian unless their locale is English."""
    locale = user.locale if user.locale in i18n.LOCALES else i18n.DEFAULT_LOCALE
    if notice.kind in ACCOUNT_TEXTS:
        return _compose_account_notice(notice, user, region, public_url, locale)
    number = str(notice.params.get("number", ""))
    base = public_url.rstrip("/")
    other = OTHER_TEXTS.get(notice.kind)
    if other is not None:
        with in_locale(locale):
            return Message(
                locale=locale,
                title=i18n.gettext(other.subject) % notice.params,
                body=text_of(notice),
                url=f"{base}/{region.slug}/{link_of(notice) or 'notifikasi'}",
                greeting=i18n.gettext("Yth. %(name)s,") % {"name": user.full_name},
                link_label=i18n.gettext(other.link_label),
                region_name=region.name,
                footer=i18n.gettext(
                    "Pesan ini dikirim otomatis oleh layanan daring %(region)s. Anda dapat memilih "
                    "saluran pemberitahuan di halaman akun Anda."
                )
                % {"region": region.name},
            )
    url = (
        f"{base}/{region.slug}/permohonan/{notice.application_id}"
        if notice.application_id
        else f"{base}/{region.slug}/notifikasi"
    )
    with in_locale(locale):
        return Message(
            locale=locale,
            title=i18n.gettext("Kabar permohonan %(number)s") % {"number": number},
            body=text_of(notice),
            url=url,
            greeting=i18n.gettext("Yth. %(name)s,") % {"name": user.full_name},
            link_label=i18n.gettext("Lihat permohonan Anda"),
            region_name=region.name,
            footer=i18n.gettext(
                "Pesan ini dikirim otomatis oleh layanan daring %(region)s. Anda dapat memilih "
                "saluran pemberitahuan di halaman akun Anda."
            )
            % {"region": region.name},
        )


def _compose_account_notice(
    notice: Notification, user: User, region: Region, public_url: str, locale: str
) -> Message:
    base = public_url.rstrip("/")
    activation = notice.kind == "account_activation"
    if notice.kind == "staff_invitation":  # decision 0049 (admin helper)
        with in_locale(locale):
            return Message(
                locale=locale,
                title=str(_ACCOUNT_SUBJECTS[notice.kind]),
                body=text_of(notice),
                url=invitation_url(user, region, base, int(notice.params["issued"])),
                greeting=i18n.gettext("Yth. %(name)s,") % {"name": user.full_name},
                link_label=i18n.gettext("Pasang kata sandi"),
                region_name=region.name,
                footer=i18n.gettext(
                    "Pesan keamanan ini dikirim otomatis oleh layanan daring %(region)s ke "
                    "alamat e-mail akun, apa pun pilihan saluran pemberitahuan Anda."
                )
                % {"region": region.name},
            )
    with in_locale(locale):
        parts = recovery.message_parts(notice.kind, notice.params, region, base)
        if parts is not None:
            return Message(
                locale=locale,
                title=str(_ACCOUNT_SUBJECTS[notice.kind]),
                body=parts.body or text_of(notice),
                url=parts.url,
                greeting=i18n.gettext("Yth. %(name)s,") % {"name": user.full_name},
                link_label=parts.link_label,
                region_name=region.name,
                footer=i18n.gettext(
                    "Pesan keamanan ini dikirim otomatis oleh layanan daring %(region)s ke "
                    "alamat e-mail akun, apa pun pilihan saluran pemberitahuan Anda."
                )
                % {"region": region.name},
            )
        return Message(
            locale=locale,
            title=str(_ACCOUNT_SUBJECTS[notice.kind]),
            body=text_of(notice),
            url=activation_url(user, region, base) if activation else f"{base}/{region.slug}/masuk",
            # Whoever registers types the name: an e-mail to an address not yet proved to be
            # theirs must not carry text a stranger chose.
            greeting=i18n.gettext("Yth. Bapak/Ibu,")
            if activation
            else i18n.gettext("Yth. %(name)s,") % {"name": user.full_name},
            link_label=i18n.gettext("Aktifkan akun")
            if activation
            else i18n.gettext("Masuk ke akun Anda"),
            region_name=region.name,
            footer=i18n.gettext(
                "Pesan keamanan ini dikirim otomatis oleh layanan daring %(region)s ke alamat "
                "e-mail akun, apa pun pilihan saluran pemberitahuan Anda."
            )
            % {"region": region.name},
        )


@lru_cache
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(_TEMPLATES)),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    return env


def render_email(message: Message) -> tuple[str, str]:
    """The e-mail's plain-text and HTML bodies."""
    env = _environment()
    with in_locale(message.locale):
        context = {"message": message}
        return (
            env.get_template("email/notification.txt").render(context),
            env.get_template("email/notification.html").render(context),
        )
