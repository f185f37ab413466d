"""Does a service do what its published standard promises? (decision 0046)

A standard (PermenPANRB 15/2014) is a public commitment; these functions compare four of its
components with the service's configuration: the products it lists with the products issued,
the procedure it describes with the workflow's steps, the fee it states with the fee charged,
and the complaint channels it names with the agency's contacts. Pure functions over the rows
(no queries): the CLI (``simpul catalogue check-standards``), the admin's service page and the
tests load the rows and pass them in. The rules are plain word matching, written down in the
decision, so an admin can predict what the check says and fix either side.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from pydantic import ValidationError

from simpul.catalogue.products import ProductTemplate, validate_products
from simpul.catalogue.standard import COMPONENT_LABELS, Workflow, WorkflowStep
from simpul.core.i18n import _, lazy


@dataclass(frozen=True)
class Disagreement:
    """One place where a service's standard and its configuration disagree."""

    service: str
    #: The standard's component (``produk_pelayanan``, ``sistem_mekanisme_prosedur``,
    #: ``biaya_tarif``, ``penanganan_pengaduan``) or ``workflow`` / ``products``.
    component: str
    #: What disagrees, in words an admin understands (translated when made).
    what: str


class ServiceRow(Protocol):
    """What the check reads of a service (a ``catalogue.models.Service`` row, or any object
    with these attributes)."""

    @property
    def slug(self) -> str: ...
    @property
    def fee_rupiah(self) -> int: ...
    @property
    def standard(self) -> Mapping[str, Any]: ...
    @property
    def eform(self) -> Mapping[str, Any]: ...
    @property
    def workflow(self) -> Mapping[str, Any]: ...
    @property
    def products(self) -> Sequence[Mapping[str, Any]]: ...


class AgencyRow(Protocol):
    @property
    def email(self) -> str: ...
    @property
    def phone(self) -> str: ...


class AgencyWithId(AgencyRow, Protocol):
    @property
    def id(self) -> Any: ...


class ServiceWithAgency(ServiceRow, Protocol):
    @property
    def agency_id(self) -> Any: ...


# --- vocabulary -----------------------------------------------------------------------------
# "Strong" words say an officer does this kind of work: an item of the procedure holding one
# must be carried out by a step. "Extra" words are also accepted for a step's own items.

VERIFY_STRONG: Final = (
    "verifikator",
    "memverifikasi",
    "diverifikasi",
    "memeriksa",
    "diperiksa",
    "meneliti",
    "diteliti",
    "mencocokkan",
    "dicocokkan",
    "menelaah",
    "ditelaah",
)
VERIFY_EXTRA: Final = (
    "verifikasi",
    "pemeriksaan",
    "periksa",
    "penelitian",
    "kelengkapan",
    "validasi",
    "memvalidasi",
    "divalidasi",
    "asesmen",
    "kajian",
    "mengkaji",
    "dikaji",
    "menilai",
    "dinilai",
    "penilaian",
    "telaah",
)
ENTRY_STRONG: Final = ("merekam", "direkam", "menginput", "diinput", "mencatat", "dicatat")
ENTRY_EXTRA: Final = (
    "perekaman",
    "entri",
    "pencatatan",
    "mencatatkan",
    "register",
    "registrasi",
    "input",
    "memasukkan",
    "dimasukkan",
    "penomoran",
    "nomor",
)
APPROVE_STRONG: Final = (
    "menyetujui",
    "disetujui",
    "menetapkan",
    "ditetapkan",
    "mengesahkan",
    "disahkan",
    "memutuskan",
    "diputuskan",
)
ISSUE_WORDS: Final = ("menerbitkan", "diterbitkan", "penerbitan", "terbit")
APPROVE_EXTRA: Final = ("persetujuan", "penetapan", "pengesahan", "keputusan", *ISSUE_WORDS)
#: "TTE" counts as a word on its own: "ber-TTE" describes a document already signed.
SIGN_STRONG: Final = ("menandatangani", "ditandatangani", "penandatanganan", "tanda tangan", "tte")
SIGN_EXTRA: Final = ISSUE_WORDS
FIELD_STRONG: Final = (
    "lapangan",
    "peninjauan",
    "meninjau",
    "ditinjau",
    "survei lapangan",
    "survei lokasi",
    "inspeksi",
    "kunjungan",
    "mengunjungi",
    "dikunjungi",
    "visitasi",
)
FIELD_EXTRA: Final = ("lokasi", "observasi", "pengukuran")
#: A retribusi is the service's own charge; a tax a citizen pays alongside (PBB, BPHTB) is not.
PAY_STRONG: Final = ("retribusi", "skrd")
#: An item asks for a payment step when it names a retribusi being paid (a retribusi that is
#: only mentioned, e.g. in a taxpayer number, is not a payment of this application).
PAY_VERBS: Final = ("membayar", "dibayar", "dibayarkan", "pembayaran", "melunasi", "dilunasi")
PAY_EXTRA: Final = ("bayar", "kode bayar", "billing", *PAY_VERBS)

VERIFY: Final = VERIFY_STRONG + VERIFY_EXTRA
ENTRY: Final = ENTRY_STRONG + ENTRY_EXTRA
APPROVE: Final = APPROVE_STRONG + APPROVE_EXTRA
SIGN: Final = SIGN_STRONG + SIGN_EXTRA
FIELD: Final = FIELD_STRONG + FIELD_EXTRA
PAY: Final = PAY_STRONG + PAY_EXTRA

ROLE_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "verifikator": VERIFY,
    "operator": ENTRY,
    "penyetuju": APPROVE,
    "penandatangan": SIGN + APPROVE,
    "admin_opd": VERIFY + APPROVE,
}
KIND_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "review": (),
    "data_entry": ENTRY,
    "field_check": FIELD,
    "payment": PAY,
}
#: Roles that may sign a product (the head of the office, or whom the agency appoints).
SIGNING_ROLES: Final = ("penandatangan", "penyetuju")
#: The officer field holding a retribusi assessed by an officer (decision 0046).
ASSESSED_FEE_FIELD: Final = "retribusi_rupiah"

FREE_WORDS: Final = ("tidak dipungut", "gratis", "tanpa biaya", "tidak dikenakan", "tidak berbayar")
CHARGE_WORDS: Final = ("retribusi", "dikenakan", "dipungut", "biaya", "tarif", "bayar", "membayar")
#: National complaint lines that any standard may name besides the agency's own number
#: (short codes such as LAPOR!'s SMS 1708 or 112 are not phone numbers to the check at all):
#: SAPA 129, the Ministry of Women's Empowerment and Child Protection's WhatsApp line.
NATIONAL_NUMBERS: Final = ("08111129129",)
_RP0 = re.compile(r"\brp\s?0(?![\d.,])")
_AMOUNT = re.compile(r"\brp\s?(\d{1,3}(?:\.\d{3})+|\d+)(?:,-|,00)?")
_NUMBERED = re.compile(r"^\s*(\d{1,2})[.)]\s+(.*)$")
_BULLET = re.compile(r"^\s*(?:[-•*]|\d{1,2}[.)])\s+")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\d\w])(?:\+62[\s-]?|\(0\d{2,3}\)\s?|0)\d[\d\s-]{5,14}\d(?!\d)")
_URL = re.compile(r"(?:https?://|www\.)[^\s,;()<>\"']+", re.IGNORECASE)
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$")
_SIMPUL = re.compile(r"(?<![\w-])simpul(?![\w-])")


#: Headings of what a disagreement is about: the standard's components, the workflow, the
#: product templates (translated at render time).
CHECK_LABELS: Final = {
    **COMPONENT_LABELS,
    "workflow": lazy("Alur kerja"),
    "products": lazy("Templat produk"),
}

# --- what the check says (msgids; translated when a disagreement is made) -------------------
PRODUCTS: Final = "produk_pelayanan"
PROCEDURE: Final = "sistem_mekanisme_prosedur"
FEE: Final = "biaya_tarif"
COMPLAINTS: Final = "penanganan_pengaduan"
ITEM_NAMES_NO_PRODUCT: Final = lazy(
    'Butir produk "%(item)s" tidak menyebut produk yang diterbitkan layanan ini '
    "(judul produk tidak ada di dalamnya)."
)
PRODUCT_NOT_LISTED: Final = lazy(
    'Produk "%(title)s" diterbitkan tetapi tidak disebut dalam produk pelayanan standar.'
)
STEP_NAMES_NO_ITEM: Final = lazy(
    'Langkah "%(step)s" tidak menyebut butir prosedur yang dijalankannya.'
)
STEP_NAMES_MISSING_ITEM: Final = lazy(
    'Langkah "%(step)s" menyebut butir %(number)d, yang tidak ada di prosedur.'
)
ITEM_IS_NOT_STEP_WORK: Final = lazy(
    'Butir %(number)d prosedur tidak menggambarkan pekerjaan langkah "%(step)s" '
    "(%(role)s, %(kind)s)."
)
ITEM_SIGNS_WITHOUT_STEP: Final = lazy(
    "Butir %(number)d prosedur menyebut penandatanganan, tetapi langkah yang menandatangani "
    "tidak menjalankannya."
)
ITEM_FIELD_WITHOUT_STEP: Final = lazy(
    "Butir %(number)d prosedur menyebut pemeriksaan lapangan, tetapi tidak ada langkah "
    "peninjauan lapangan yang menjalankannya."
)
ITEM_PAYS_WITHOUT_STEP: Final = lazy(
    "Butir %(number)d prosedur menyebut pembayaran retribusi, tetapi tidak ada langkah "
    "pembayaran yang menjalankannya."
)
ITEM_WORK_WITHOUT_STEP: Final = lazy(
    "Butir %(number)d prosedur menggambarkan pekerjaan petugas (verifikasi, persetujuan atau "
    "perekaman), tetapi tidak ada langkah yang menjalankannya."
)
SIGNER_ROLE_WRONG: Final = lazy(
    'Layanan menerbitkan produk bertanda tangan, tetapi langkah yang menandatangani ("%(step)s") '
    "bukan peran penandatangan atau penyetuju."
)
FOUR_EYES_OFF: Final = lazy(
    "Empat mata dimatikan padahal layanan menerbitkan produk bertanda tangan setelah "
    "verifikasi: petugas yang memverifikasi dapat ikut menandatangani."
)
FEE_UNCLEAR: Final = lazy(
    "Kalimat pertama biaya/tarif tidak menyatakan gratis (Rp0) atau biaya yang dipungut."
)
FREE_BUT_CHARGED: Final = lazy(
    "Standar menyatakan tidak dipungut biaya, tetapi layanan menagih Rp%(fee)s."
)
FREE_BUT_PAYMENT_STEP: Final = lazy(
    "Standar menyatakan tidak dipungut biaya, tetapi alur kerja memiliki langkah pembayaran."
)
AMOUNT_DIFFERS: Final = lazy(
    "Standar menyatakan biaya Rp%(stated)s, tetapi layanan menagih Rp%(fee)s."
)
CHARGE_WITHOUT_PAYMENT_STEP: Final = lazy(
    "Standar menyatakan ada biaya, tetapi alur kerja tidak memiliki langkah pembayaran."
)
ASSESSED_WITHOUT_FIELD: Final = lazy(
    "Besar retribusi tidak dinyatakan dalam standar, jadi petugas harus menetapkannya: "
    "tambahkan isian %(field)s pada langkah entri data sebelum pembayaran."
)
SIMPUL_COMPLAINTS_MISSING: Final = lazy(
    '"%(item)s": wilayah ini belum memiliki kategori pengaduan di Simpul, jadi warga belum '
    "dapat mengadu melaluinya."
)
EMAIL_NOT_AGENCY: Final = lazy("E-mail %(email)s bukan e-mail instansi (%(own)s).")
PHONE_NOT_AGENCY: Final = lazy("Nomor telepon %(phone)s bukan nomor instansi (%(own)s).")
URL_MALFORMED: Final = lazy("Alamat web %(url)s tidak valid.")
SOURCE_NOT_IN_FORM: Final = lazy(
    'Produk "%(title)s" mencetak %(source)s, tetapi formulir tidak memiliki isian itu.'
)
SOURCE_NOT_ENTERED: Final = lazy(
    'Produk "%(title)s" mencetak %(source)s, tetapi tidak ada langkah entri data yang mengisinya.'
)
INVALID_WORKFLOW: Final = lazy("Alur kerja layanan tidak valid; perbaiki dulu di halaman layanan.")
INVALID_PRODUCTS: Final = lazy(
    "Daftar produk layanan tidak valid; perbaiki dulu di halaman layanan."
)


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _has_word(text: str, words: Iterable[str]) -> bool:
    """Whether normalised ``text`` holds one of ``words`` as a whole word (or phrase)."""
    return any(re.search(r"(?<![\w-])" + re.escape(w) + r"(?![\w-])", text) for w in words)


def is_payment_item(normalised_item: str) -> bool:
    """Whether a procedure item describes paying a retribusi (see ``PAY_VERBS``)."""
    return _has_word(normalised_item, PAY_STRONG) and _has_word(normalised_item, PAY_VERBS)


def procedure_items(text: str) -> dict[int, str]:
    """The numbered items of ``sistem_mekanisme_prosedur`` (``1. ...``); an unnumbered line
    continues the item before it."""
    items: dict[int, str] = {}
    current: int | None = None
    for line in text.splitlines():
        match = _NUMBERED.match(line)
        if match:
            current = int(match.group(1))
            items[current] = match.group(2).strip()
        elif current is not None and line.strip():
            items[current] += " " + line.strip()
    return items


def list_items(text: str) -> list[str]:
    """The items of a list component: its bulleted lines when it has any, else each line."""
    lines = [line for line in text.splitlines() if line.strip()]
    bulleted = [_BULLET.sub("", line).strip() for line in lines if _BULLET.match(line)]
    return bulleted or [line.strip() for line in lines]


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?:])\s", text.strip(), maxsplit=1)[0]


# --- the rules -------------------------------------------------------------------------------


def check_service(
    service: ServiceRow,
    agency: AgencyRow,
    region: object = None,
    *,
    runs_complaints: bool = False,
) -> list[Disagreement]:
    """Every disagreement between ``service``'s published standard and its configuration.

    ``region`` is accepted for rules that will need the region's own contacts; the region
    has none recorded yet, so complaint e-mails are compared with the agency's.
    ``runs_complaints``: whether the region takes complaints in Simpul (it has an active
    complaint category); a standard naming Simpul as a complaint channel disagrees otherwise.
    """
    found: list[Disagreement] = []

    def add(component: str, what: str) -> None:
        found.append(Disagreement(service.slug, component, what))

    standard = service.standard
    try:
        workflow = Workflow.model_validate(service.workflow)
    except ValidationError:
        add("workflow", _(INVALID_WORKFLOW))
        return found
    try:
        products = validate_products(list(service.products))
    except (ValidationError, ValueError):
        add("products", _(INVALID_PRODUCTS))
        return found

    _check_products(standard.get("produk_pelayanan", ""), products, add)
    _check_steps(standard.get("sistem_mekanisme_prosedur", ""), workflow, products, add)
    _check_fee(standard.get("biaya_tarif", ""), service.fee_rupiah, workflow, add)
    _check_complaints(standard.get("penanganan_pengaduan", ""), agency, runs_complaints, add)
    _check_sources(service.eform, workflow, products, add)
    return found


def check_region(
    agencies: Sequence[AgencyWithId],
    services: Sequence[ServiceWithAgency],
    region: object = None,
    *,
    runs_complaints: bool = False,
) -> list[Disagreement]:
    """The disagreements of every service of a region, in the services' order."""
    by_id = {agency.id: agency for agency in agencies}
    found: list[Disagreement] = []
    for service in services:
        found += check_service(
            service, by_id[service.agency_id], region, runs_complaints=runs_complaints
        )
    return found


class _Add(Protocol):
    def __call__(self, component: str, what: str) -> None: ...


def _check_products(text: str, products: list[ProductTemplate], add: _Add) -> None:
    items = list_items(text)
    titles = [(p, _normal(p.title)) for p in products]
    for item in items:
        if not any(title in _normal(item) for _p, title in titles):
            add(PRODUCTS, _(ITEM_NAMES_NO_PRODUCT) % {"item": _short(item)})
    for product, title in titles:
        if not any(title in _normal(item) for item in items):
            add(PRODUCTS, _(PRODUCT_NOT_LISTED) % {"title": product.title})


def _step_words(step: WorkflowStep, signing: bool) -> tuple[str, ...]:
    words = ROLE_WORDS.get(step.role, ()) + KIND_WORDS.get(step.kind, ())
    return words + SIGN if signing else words


def _check_steps(text: str, workflow: Workflow, products: list[ProductTemplate], add: _Add) -> None:
    items = {number: _normal(item) for number, item in procedure_items(text).items()}
    signing = workflow.signing_step if products else None
    _check_step_items(items, workflow, signing, add)
    _check_unassigned_items(items, workflow, signing, add)
    if signing is not None:
        _check_signing(workflow, signing, add)


def _check_step_items(
    items: dict[int, str], workflow: Workflow, signing: WorkflowStep | None, add: _Add
) -> None:
    """Each step names items of the procedure, and each item it names describes its work."""
    for step in workflow.steps:
        if not step.procedure:
            add(PROCEDURE, _(STEP_NAMES_NO_ITEM) % {"step": step.name})
        words = _step_words(step, step is signing)
        for number in step.procedure:
            if number not in items:
                add(PROCEDURE, _(STEP_NAMES_MISSING_ITEM) % {"step": step.name, "number": number})
            elif not _has_word(items[number], words):
                add(
                    PROCEDURE,
                    _(ITEM_IS_NOT_STEP_WORK)
                    % {"number": number, "step": step.name, "role": step.role, "kind": step.kind},
                )


def _check_unassigned_items(
    items: dict[int, str], workflow: Workflow, signing: WorkflowStep | None, add: _Add
) -> None:
    """Each item describing back-office work (up to the signing) is carried out by a step."""
    named = {n for s in workflow.steps for n in s.procedure}
    field_checked = {n for s in workflow.steps if s.kind == "field_check" for n in s.procedure}
    paid = {n for s in workflow.steps if s.kind == "payment" for n in s.procedure}
    signed = set(signing.procedure) if signing else set()
    # Items after the signing describe what follows the issued product (downloading it,
    # monitoring, renewal reminders): they are not the application's back-office work. The
    # signing is the last item the signing step names or that speaks of signing.
    signing_items = signed | {n for n, item in items.items() if _has_word(item, SIGN_STRONG)}
    last = max(signing_items, default=max(items, default=0)) if signing else max(items, default=0)
    for number, item in sorted(items.items()):
        if number > last:
            break
        if _has_word(item, SIGN_STRONG) and number not in signed:
            add(PROCEDURE, _(ITEM_SIGNS_WITHOUT_STEP) % {"number": number})
        if _has_word(item, FIELD_STRONG) and number not in field_checked:
            add(PROCEDURE, _(ITEM_FIELD_WITHOUT_STEP) % {"number": number})
        if is_payment_item(item) and number not in paid:
            add(PROCEDURE, _(ITEM_PAYS_WITHOUT_STEP) % {"number": number})
        if _has_word(item, VERIFY_STRONG + APPROVE_STRONG + ENTRY_STRONG) and number not in named:
            add(PROCEDURE, _(ITEM_WORK_WITHOUT_STEP) % {"number": number})


def _check_signing(workflow: Workflow, signing: WorkflowStep, add: _Add) -> None:
    """A signed product is signed by a signing role, and four eyes stays on (decision 0046)."""
    if signing.role not in SIGNING_ROLES:
        add("workflow", _(SIGNER_ROLE_WRONG) % {"step": signing.name})
    position = workflow.steps.index(signing)
    verifies_before = any(s.role == "verifikator" for s in workflow.steps[:position])
    if workflow.four_eyes is False and verifies_before:
        add("workflow", _(FOUR_EYES_OFF))


def _fee_kind(sentence: str) -> tuple[str, int | None]:
    """``("free", 0)``, ``("amount", n)``, ``("assessed", None)`` or ``("unclear", None)``."""
    text = _normal(sentence)
    if _RP0.search(text) or any(w in text for w in FREE_WORDS):
        return "free", 0
    amount = _AMOUNT.search(text)
    if amount:
        return "amount", int(amount.group(1).replace(".", ""))
    if _has_word(text, CHARGE_WORDS):
        return "assessed", None
    return "unclear", None


def _check_fee(text: str, fee_rupiah: int, workflow: Workflow, add: _Add) -> None:
    kind, amount = _fee_kind(first_sentence(text))
    payments = [i for i, s in enumerate(workflow.steps) if s.kind == "payment"]
    if kind == "unclear":
        add(FEE, _(FEE_UNCLEAR))
        return
    if kind == "free":
        if fee_rupiah != 0:
            add(FEE, _(FREE_BUT_CHARGED) % {"fee": _rupiah(fee_rupiah)})
        if payments:
            add(FEE, _(FREE_BUT_PAYMENT_STEP))
        return
    if kind == "amount" and fee_rupiah != amount:
        add(FEE, _(AMOUNT_DIFFERS) % {"stated": _rupiah(amount or 0), "fee": _rupiah(fee_rupiah)})
    if not payments:
        add(FEE, _(CHARGE_WITHOUT_PAYMENT_STEP))
        return
    before = workflow.steps[: payments[0]]
    if kind == "assessed" and not any(
        f.code == ASSESSED_FEE_FIELD for s in before for f in s.fields
    ):
        add(FEE, _(ASSESSED_WITHOUT_FIELD) % {"field": ASSESSED_FEE_FIELD})


def _check_complaints(text: str, agency: AgencyRow, runs_complaints: bool, add: _Add) -> None:
    own_email = agency.email.strip().casefold()
    own_phone = _digits(agency.phone)
    for item in (_BULLET.sub("", line).strip() for line in text.splitlines() if line.strip()):
        if _SIMPUL.search(_normal(item)) and not runs_complaints:
            add(COMPLAINTS, _(SIMPUL_COMPLAINTS_MISSING) % {"item": _short(item)})
        for found in _EMAIL.findall(item):
            email = found.rstrip(".")
            if email.casefold() != own_email:
                add(COMPLAINTS, _(EMAIL_NOT_AGENCY) % {"email": email, "own": agency.email})
        for phone in _PHONE.findall(item):
            if _digits(phone) not in (own_phone, *NATIONAL_NUMBERS):
                add(COMPLAINTS, _(PHONE_NOT_AGENCY) % {"phone": phone.strip(), "own": agency.phone})
        for url in _URL.findall(item):
            if not _well_formed(url.rstrip(".")):
                add(COMPLAINTS, _(URL_MALFORMED) % {"url": url})


def _check_sources(
    eform: Mapping[str, Any], workflow: Workflow, products: list[ProductTemplate], add: _Add
) -> None:
    officer = workflow.officer_fields()
    schema = eform.get("schema", {})
    for product in products:
        for field in product.fields:
            kind, _sep, rest = field.source.partition(":")
            values = {"title": product.title, "source": field.source}
            if kind == "form" and not _form_path_exists(schema, rest):
                add("products", _(SOURCE_NOT_IN_FORM) % values)
            if kind == "step" and rest not in officer:
                add("products", _(SOURCE_NOT_ENTERED) % values)


def _form_path_exists(schema: Mapping[str, Any], path: str) -> bool:
    node: Any = schema
    for part in path.split("."):
        if isinstance(node, Mapping) and isinstance(node.get("items"), Mapping):
            node = node["items"]
        properties = node.get("properties") if isinstance(node, Mapping) else None
        if not isinstance(properties, Mapping) or part not in properties:
            return False
        node = properties[part]
    return True


def _digits(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    return "0" + digits[2:] if digits.startswith("62") else digits


def _well_formed(url: str) -> bool:
    rest = re.sub(r"^(?:https?://)", "", url, flags=re.IGNORECASE)
    host = rest.split("/", 1)[0].casefold()
    return bool(_HOST.match(host))


def _rupiah(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"
