"""A service's published standard and its configuration agree (decision 0046): each rule both
ways on small services built here, the demo catalogue as seeded, and the real CLI."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from simpul import cli
from simpul.catalogue.seed import DEMO_FOLDER, load_catalogue_folder
from simpul.catalogue.service import import_catalogue, standards_disagreements
from simpul.catalogue.standards_check import Disagreement, check_service
from simpul.core.i18n import current_locale
from simpul.core.regions import create_region
from simpul.demo.complaints import seed_demo_categories

AGENCY_EMAIL = "dinas.uji@bandung.go.id"
AGENCY_PHONE = "(022) 1234567"


@dataclass
class Agency:
    email: str = AGENCY_EMAIL
    phone: str = AGENCY_PHONE


@dataclass
class Row:
    """A service as the check reads it (the attributes of ``catalogue.models.Service``)."""

    standard: dict[str, str]
    workflow: dict[str, Any]
    products: list[dict[str, Any]]
    fee_rupiah: int = 0
    slug: str = "layanan-uji"
    eform: dict[str, Any] = field(
        default_factory=lambda: {
            "schema": {
                "type": "object",
                "properties": {
                    "nama_usaha": {"type": "string", "title": "Nama usaha"},
                    "alamat": {
                        "type": "object",
                        "properties": {"kelurahan": {"type": "string"}},
                    },
                },
            }
        }
    )


PROCEDURE = (
    "1. Pemohon mengisi permohonan di Simpul dan mengunggah dokumen.\n"
    "2. Verifikator memeriksa kelengkapan berkas; berkas yang kurang dikembalikan.\n"
    "3. Operator merekam data dan mencatat nomor register.\n"
    "4. Kepala Dinas menandatangani surat keterangan secara elektronik (TTE).\n"
    "5. Pemohon mengunduh surat ber-TTE; instansi tujuan dapat memeriksa kode QR."
)
STANDARD = {
    "sistem_mekanisme_prosedur": PROCEDURE,
    "produk_pelayanan": "- Surat Keterangan Usaha elektronik ber-TTE dengan kode QR",
    "biaya_tarif": "Tidak dipungut biaya (Rp0). Petugas dilarang menerima imbalan.",
    "penanganan_pengaduan": (
        "Pengaduan dapat disampaikan melalui:\n"
        "- SP4N-LAPOR!: https://www.lapor.go.id atau SMS 1708\n"
        f"- Email {AGENCY_EMAIL}\n"
        f"- Telepon {AGENCY_PHONE} pada hari kerja\n"
        "- Layanan SAPA 129: WhatsApp 08111-129-129"
    ),
}
VERIFY = {
    "code": "verifikasi",
    "name": "Verifikasi berkas",
    "name_en": "Verification",
    "role": "verifikator",
    "actions": ["approve", "return", "reject"],
    "procedure": [2],
}
ENTRY = {
    "code": "pencatatan",
    "name": "Pencatatan",
    "name_en": "Data entry",
    "role": "operator",
    "actions": ["approve", "return"],
    "kind": "data_entry",
    "fields": [{"code": "nomor_register", "label": "Nomor register"}],
    "procedure": [3],
}
SIGN = {
    "code": "tanda_tangan",
    "name": "Tanda tangan",
    "name_en": "Signature",
    "role": "penandatangan",
    "actions": ["approve", "return", "reject"],
    "procedure": [4],
    "signs": True,
}
PRODUCT = {
    "code": "sku",
    "title": "Surat Keterangan Usaha",
    "fields": [
        {"label": "Nomor register", "source": "step:nomor_register"},
        {"label": "Nama usaha", "source": "form:nama_usaha"},
        {"label": "Kelurahan", "source": "form:alamat.kelurahan"},
    ],
}


def service(**changes: Any) -> Row:
    """The agreeing service, with ``changes`` (a standard component, steps, products, fee)."""
    standard = {**STANDARD, **changes.pop("standard", {})}
    steps = changes.pop("steps", [VERIFY, ENTRY, SIGN])
    workflow = {"steps": copy.deepcopy(steps), **changes.pop("workflow", {})}
    products = copy.deepcopy(changes.pop("products", [PRODUCT]))
    return Row(standard=standard, workflow=workflow, products=products, **changes)


def problems(row: Row) -> list[Disagreement]:
    return check_service(row, Agency())


def components(row: Row) -> list[str]:
    return [d.component for d in problems(row)]


def with_step(step: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(step), **changes}


def test_an_agreeing_service_has_no_disagreement() -> None:
    assert problems(service()) == []


# --- products -------------------------------------------------------------------------------


def test_products_are_matched_ignoring_case_and_spaces() -> None:
    product = {**PRODUCT, "title": "surat   KETERANGAN usaha"}
    assert problems(service(products=[product])) == []


def test_an_item_that_names_no_product_disagrees() -> None:
    listed = STANDARD["produk_pelayanan"] + "\n- Pendampingan usaha oleh petugas"
    found = problems(service(standard={"produk_pelayanan": listed}))
    assert [d.component for d in found] == ["produk_pelayanan"]
    assert "Pendampingan usaha oleh petugas" in found[0].what


def test_a_product_the_standard_does_not_list_disagrees() -> None:
    extra = {**PRODUCT, "code": "kartu", "title": "Kartu Usaha"}
    found = problems(service(products=[PRODUCT, extra]))
    assert [d.component for d in found] == ["produk_pelayanan"]
    assert "Kartu Usaha" in found[0].what


# --- steps ----------------------------------------------------------------------------------


def test_a_step_naming_an_item_that_does_not_exist_disagrees() -> None:
    found = problems(service(steps=[with_step(VERIFY, procedure=[2, 9]), ENTRY, SIGN]))
    assert [d.component for d in found] == ["sistem_mekanisme_prosedur"]
    assert "9" in found[0].what


def test_a_step_naming_an_item_that_describes_other_work_disagrees() -> None:
    # Item 1 is the applicant filling the form: no verification word in it.
    found = problems(service(steps=[with_step(VERIFY, procedure=[1, 2]), ENTRY, SIGN]))
    assert [d.component for d in found] == ["sistem_mekanisme_prosedur"]
    assert "Butir 1" in found[0].what


def test_a_step_naming_no_item_disagrees_and_its_item_is_then_unassigned() -> None:
    found = problems(service(steps=[with_step(VERIFY, procedure=[]), ENTRY, SIGN]))
    assert components(service(steps=[with_step(VERIFY, procedure=[]), ENTRY, SIGN])) == [
        "sistem_mekanisme_prosedur",
        "sistem_mekanisme_prosedur",
    ]
    assert "Verifikasi berkas" in found[0].what
    assert "Butir 2" in found[1].what


def test_officer_work_no_step_carries_out_disagrees() -> None:
    # Without the data-entry step, item 3 (the operator records the data) is nobody's work.
    without_entry = service(
        steps=[VERIFY, SIGN], products=[{**PRODUCT, "fields": PRODUCT["fields"][1:]}]
    )
    found = problems(without_entry)
    assert [d.component for d in found] == ["sistem_mekanisme_prosedur"]
    assert "Butir 3" in found[0].what


def test_signing_named_by_another_step_disagrees() -> None:
    steps = [VERIFY, with_step(ENTRY, procedure=[3, 4]), with_step(SIGN, procedure=[2])]
    found = problems(service(steps=steps))
    assert any("Butir 4" in d.what and "penandatanganan" in d.what for d in found)


def test_a_field_visit_needs_a_field_check_step() -> None:
    procedure = PROCEDURE.replace(
        "3. Operator merekam data",
        "3. Petugas melakukan peninjauan lapangan; operator merekam data",
    )
    found = problems(service(standard={"sistem_mekanisme_prosedur": procedure}))
    assert [d.component for d in found] == ["sistem_mekanisme_prosedur"]
    assert "lapangan" in found[0].what
    visit = {
        **{k: v for k, v in ENTRY.items() if k != "fields"},
        "code": "peninjauan",
        "name": "Peninjauan lapangan",
        "role": "verifikator",
        "kind": "field_check",
    }
    agreeing = service(
        standard={"sistem_mekanisme_prosedur": procedure}, steps=[VERIFY, ENTRY, visit, SIGN]
    )
    assert problems(agreeing) == []


def test_paying_a_retribusi_needs_a_payment_step_but_naming_one_does_not() -> None:
    paying = PROCEDURE.replace("2. Verifikator", "2. Pemohon membayar retribusi; verifikator")
    assert "pembayaran" in problems(service(standard={"sistem_mekanisme_prosedur": paying}))[0].what
    naming = PROCEDURE.replace("2. Verifikator", "2. Wajib retribusi terdaftar; verifikator")
    assert problems(service(standard={"sistem_mekanisme_prosedur": naming})) == []


def test_items_after_the_signing_are_not_back_office_work() -> None:
    # Item 5 says "memeriksa" (the receiver checks the QR code) after the product is signed.
    assert "memeriksa" in PROCEDURE.splitlines()[4]
    assert problems(service()) == []


def test_a_signed_product_signed_by_a_verifier_disagrees() -> None:
    found = problems(service(steps=[VERIFY, ENTRY, with_step(SIGN, role="verifikator")]))
    assert [d.component for d in found] == ["workflow"]
    assert "penandatangan" in found[0].what


# --- four eyes ------------------------------------------------------------------------------


def test_four_eyes_off_after_a_verification_disagrees() -> None:
    found = problems(service(workflow={"four_eyes": False}))
    assert [d.component for d in found] == ["workflow"]
    assert "Empat mata" in found[0].what
    assert problems(service(workflow={"four_eyes": True})) == []


def test_four_eyes_off_without_an_earlier_verifier_agrees() -> None:
    head_verifies = with_step(VERIFY, role="admin_opd")
    row = service(steps=[head_verifies, ENTRY, SIGN], workflow={"four_eyes": False})
    assert problems(row) == []


# --- fee ------------------------------------------------------------------------------------


PAYMENT = {
    "code": "pembayaran",
    "name": "Pembayaran retribusi",
    "name_en": "Payment",
    "role": "operator",
    "actions": ["approve", "reject"],
    "kind": "payment",
    "procedure": [3],
}
PAYING_PROCEDURE = PROCEDURE.replace(
    "3. Operator merekam data dan mencatat nomor register.",
    "3. Operator mencatat nomor register dan besar retribusi; pemohon membayar retribusi.",
)


def paying(fee_text: str, fee: int, steps: list[dict[str, Any]]) -> Row:
    return service(
        standard={"biaya_tarif": fee_text, "sistem_mekanisme_prosedur": PAYING_PROCEDURE},
        steps=steps,
        fee_rupiah=fee,
    )


def test_free_means_no_charge_and_no_payment_step() -> None:
    charged = problems(service(fee_rupiah=10_000))
    assert [d.component for d in charged] == ["biaya_tarif"]
    assert "10.000" in charged[0].what
    found = problems(paying("Gratis.", 0, [VERIFY, ENTRY, PAYMENT, SIGN]))
    assert [d.component for d in found] == ["biaya_tarif"]
    assert "langkah pembayaran" in found[0].what


def test_a_stated_amount_is_the_fee_and_is_paid() -> None:
    text = "Retribusi Rp50.000 per permohonan sesuai Perda."
    assert problems(paying(text, 50_000, [VERIFY, ENTRY, PAYMENT, SIGN])) == []
    wrong = problems(paying(text, 25_000, [VERIFY, ENTRY, PAYMENT, SIGN]))
    assert [d.component for d in wrong] == ["biaya_tarif"]
    assert "Rp50.000" in wrong[0].what and "Rp25.000" in wrong[0].what
    unpaid = problems(
        service(standard={"biaya_tarif": text}, fee_rupiah=50_000, steps=[VERIFY, ENTRY, SIGN])
    )
    assert [d.component for d in unpaid] == ["biaya_tarif"]


def test_a_charge_without_an_amount_is_assessed_by_an_officer_before_payment() -> None:
    text = "Dikenakan retribusi sesuai Peraturan Daerah tentang Pajak Daerah dan Retribusi Daerah."
    found = problems(paying(text, 0, [VERIFY, ENTRY, PAYMENT, SIGN]))
    assert [d.component for d in found] == ["biaya_tarif"]
    assert "retribusi_rupiah" in found[0].what
    assessing = with_step(
        ENTRY,
        fields=[
            {"code": "nomor_register", "label": "Nomor register"},
            {"code": "retribusi_rupiah", "label": "Besar retribusi (Rp)"},
        ],
    )
    assert problems(paying(text, 0, [VERIFY, assessing, PAYMENT, SIGN])) == []
    assessed_too_late = [
        VERIFY,
        ENTRY,
        PAYMENT,
        with_step(
            ENTRY, code="penetapan", fields=[{"code": "retribusi_rupiah", "label": "Retribusi"}]
        ),
        SIGN,
    ]
    assert "retribusi_rupiah" in problems(paying(text, 0, assessed_too_late))[0].what


def test_a_fee_sentence_that_says_nothing_disagrees() -> None:
    found = problems(service(standard={"biaya_tarif": "Lihat ketentuan yang berlaku."}))
    assert [d.component for d in found] == ["biaya_tarif"]


# --- complaint channels ---------------------------------------------------------------------


def complaints(text: str, *, runs_complaints: bool = False) -> list[Disagreement]:
    row = service(standard={"penanganan_pengaduan": text})
    return check_service(row, Agency(), runs_complaints=runs_complaints)


def test_the_agency_contacts_and_national_channels_agree() -> None:
    assert complaints(STANDARD["penanganan_pengaduan"]) == []
    assert complaints(f"- Telepon 022-1234567 atau email {AGENCY_EMAIL.upper()}.") == []


SIMPUL_LINE = "- Pengaduan daring melalui Simpul: /kota-bandung/pengaduan (dijawab 3 hari kerja)"


def test_simpul_as_a_channel_disagrees_where_the_region_takes_no_complaints() -> None:
    found = complaints(SIMPUL_LINE)
    assert [d.component for d in found] == ["penanganan_pengaduan"]
    assert "belum memiliki kategori pengaduan" in found[0].what


def test_simpul_as_a_channel_agrees_where_the_region_takes_complaints() -> None:
    assert complaints(SIMPUL_LINE, runs_complaints=True) == []
    # The other rules still apply to the same line.
    found = complaints(SIMPUL_LINE + " atau email lain@contoh.go.id", runs_complaints=True)
    assert len(found) == 1 and "lain@contoh.go.id" in found[0].what


def test_another_email_or_phone_disagrees() -> None:
    found = complaints("- Email pengaduan@contoh.go.id\n- WhatsApp 0811 2233 1717")
    assert [d.component for d in found] == ["penanganan_pengaduan"] * 2
    assert "pengaduan@contoh.go.id" in found[0].what
    assert "0811 2233 1717" in found[1].what


def test_a_malformed_web_address_disagrees() -> None:
    found = complaints("- Situs https://pengaduan..bandung/lapor")
    assert [d.component for d in found] == ["penanganan_pengaduan"]


# --- product sources ------------------------------------------------------------------------


def test_product_sources_name_form_fields_and_entered_fields() -> None:
    product = {
        **PRODUCT,
        "fields": [
            {"label": "Nomor izin", "source": "step:nomor_izin"},
            {"label": "Pemilik", "source": "form:nama_pemilik"},
            {"label": "RT", "source": "form:alamat.rt"},
        ],
    }
    found = problems(service(products=[product]))
    assert [d.component for d in found] == ["products"] * 3
    assert "step:nomor_izin" in found[0].what
    assert "form:nama_pemilik" in found[1].what


def test_a_broken_workflow_is_one_disagreement() -> None:
    found = problems(service(steps=[with_step(VERIFY, role="kepala")]))
    assert [d.component for d in found] == ["workflow"]


def test_disagreements_are_written_in_the_reader_s_language() -> None:
    token = current_locale.set("en")
    try:
        found = problems(service(fee_rupiah=10_000))
    finally:
        current_locale.reset(token)
    assert "Rp10.000" in found[0].what
    assert "tidak dipungut" not in found[0].what


# --- the demo catalogue and the CLI --------------------------------------------------------


@pytest.fixture
def demo_region(session: Session):  # type: ignore[no-untyped-def]
    seed = load_catalogue_folder(DEMO_FOLDER)
    region = create_region(session, slug=seed.region.slug, name=seed.region.name)
    import_catalogue(session, region, life_events=seed.region.life_events, agencies=seed.agencies)
    # The demo's standards name Simpul's complaint channel: the region takes complaints.
    seed_demo_categories(session, region)
    session.commit()
    return region


def test_the_demo_catalogue_agrees_with_its_standards(session: Session, demo_region) -> None:  # type: ignore[no-untyped-def]
    checked, found = standards_disagreements(session, demo_region)
    assert checked == 71
    assert found == []


def test_without_categories_simpul_as_a_channel_disagrees(session: Session, demo_region) -> None:  # type: ignore[no-untyped-def]
    # Another region's categories (the demo's) do not count here.
    assert standards_disagreements(session, demo_region)[1] == []
    seed = load_catalogue_folder(DEMO_FOLDER)
    region = create_region(session, slug="kota-tanpa-aduan", name="Kota Tanpa Aduan")
    import_catalogue(session, region, life_events=seed.region.life_events, agencies=seed.agencies)
    checked, found = standards_disagreements(session, region)
    assert checked == 71
    assert len(found) == checked
    assert {d.component for d in found} == {"penanganan_pengaduan"}
    assert all("/kota-bandung/pengaduan" in d.what for d in found)
    # The demo's categories, once added, settle it.
    seed_demo_categories(session, region)
    assert standards_disagreements(session, region) == (checked, [])


def test_an_inactive_category_does_not_count(session: Session, demo_region) -> None:  # type: ignore[no-untyped-def]
    from simpul.complaints import service as complaints

    for category in complaints.categories(session, demo_region):
        category.active = False
    session.flush()
    _checked, found = standards_disagreements(session, demo_region)
    assert found and {d.component for d in found} == {"penanganan_pengaduan"}


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, session_factory: sessionmaker[Session]):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cli, "session_factory", lambda: session_factory)
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, list(args))


def test_cli_exit_codes(run, session: Session, demo_region) -> None:  # type: ignore[no-untyped-def]
    agree = run("catalogue", "check-standards", "--region", "kota-bandung")
    assert agree.exit_code == 0, agree.output
    assert "71 layanan diperiksa" in agree.output
    one = run(
        "catalogue", "check-standards", "--region", "kota-bandung", "--service", "akta-kelahiran"
    )
    assert one.exit_code == 0 and "1 layanan diperiksa" in one.output
    unknown_region = run("catalogue", "check-standards", "--region", "kota-entah")
    assert unknown_region.exit_code == 2
    unknown_service = run(
        "catalogue", "check-standards", "--region", "kota-bandung", "--service", "tidak-ada"
    )
    assert unknown_service.exit_code == 2


def test_cli_names_each_disagreement_and_exits_1(run, session: Session, demo_region) -> None:  # type: ignore[no-untyped-def]
    from simpul.catalogue.service import published_service_by_slug

    akta = published_service_by_slug(session, demo_region, "akta-kelahiran")
    assert akta is not None
    akta.fee_rupiah = 15_000
    session.commit()
    result = run("catalogue", "check-standards", "--region", "kota-bandung")
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("akta-kelahiran\tbiaya_tarif\t")
    assert "Rp15.000" in lines[0]
    assert "1 ketidaksesuaian pada 1 dari 71 layanan" in lines[-1]


def test_the_admin_service_page_names_the_disagreements(
    session: Session, client: TestClient, demo_region
) -> None:  # type: ignore[no-untyped-def]
    from simpul.accounts.models import AccountKind
    from simpul.catalogue.service import published_service_by_slug
    from tests.factories import make_user, post_form

    make_user(session, demo_region, "admin@example.org", "sandi-admin-1", AccountKind.REGION_ADMIN)
    session.commit()
    login = post_form(
        client, "/kota-bandung/masuk", {"email": "admin@example.org", "password": "sandi-admin-1"}
    )
    assert login.status_code == 303
    agreeing = client.get("/kota-bandung/admin/layanan/akta-kelahiran")
    assert agreeing.status_code == 200
    assert "Standar dan sistem sesuai" in agreeing.text
    akta = published_service_by_slug(session, demo_region, "akta-kelahiran")
    assert akta is not None
    akta.fee_rupiah = 15_000
    session.commit()
    disagreeing = client.get("/kota-bandung/admin/layanan/akta-kelahiran")
    assert "Standar dan sistem sesuai" not in disagreeing.text
    assert "menagih Rp15.000" in disagreeing.text
