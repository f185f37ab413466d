"""A synthetic app inventory for the demo Kota Bandung: 394 apps, as the city counted in 2017.

239 operating, 122 in development, 33 no longer operating, owned by the 27 demo agencies (the
big service agencies own most). Ten apps were integrated each year from 2022 to 2025 and ten
are planned for 2026 and for 2027, Bandung's pace. Names and purposes are written the way a
Pemda names its apps; all of it is made up, and the same every run (a fixed random seed).
The rows use the spreadsheet format of ``inventory.service.COLUMNS`` so they pass the same
validation as a region's own file.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from simpul.core.models import Region
from simpul.inventory import repository
from simpul.inventory import service as inventory

TOTAL, OPERATING, IN_DEVELOPMENT, RETIRED = 394, 239, 122, 33
INTEGRATED_YEARS = (2022, 2023, 2024, 2025)
PLANNED_YEARS = (2026, 2027)
PER_YEAR = 10
_SEED = 2017


@dataclass(frozen=True)
class _Idea:
    """An app before it gets a status: who owns it, what it is for, whom it serves."""

    agency: str
    name: str
    purpose: str
    users: str  # citizens / staff / both
    area: str  # a key of SPBE_AREAS
    classification: str  # public / internal / personal / secret


# Each agency's own systems: "[agency]", then per app "name | users area data | purpose" with
# users c(itizens) s(taff) b(oth); the SPBE area by its short code in _AREAS; the data
# o(pen) i(nternal) p(ersonal) r(ahasia).
_OWN_TABLE = """
[disdukcapil]
SIAP Dukcapil | c pub p | Pendaftaran antrean dan permohonan dokumen kependudukan secara daring.
Salaman | c pub p | Layanan akta dan KTP-el tanpa datang ke kantor (Sapa Layanan Adminduk).
Dukcapil Jemput Bola | b pub p | Perekaman KTP-el keliling ke sekolah, panti, dan rumah sakit.
e-Akta Kelahiran | c pub p | Penerbitan akta kelahiran dengan tanda tangan elektronik.
Sistem Informasi Pindah Datang | b pub p | Surat pindah dan kedatangan penduduk antardaerah.
Monitoring Perekaman KTP-el | s adm p | Jumlah perekaman dan pencetakan KTP-el per kecamatan.
Hak Akses Data Kependudukan | s adm r | Perjanjian dan hak akses data kependudukan bagi OPD.
Profil Kependudukan Bandung | c pub o | Agregat data penduduk per kelurahan untuk publik.
Antrean Online Dukcapil | c pub p | Nomor antrean daring untuk layanan tatap muka di Disdukcapil.
[dpmptsp]
Gampil | c pub p | Gerbang perizinan dan nonperizinan Kota Bandung secara daring.
SIMPATIK Perizinan | s pub p | Pemrosesan berkas izin di back office DPMPTSP.
e-Reklame | c pub p | Permohonan dan perpanjangan izin reklame.
SI Penanaman Modal | b pub i | Realisasi investasi dan laporan kegiatan penanaman modal.
Tracking Izin | c pub p | Pelacakan status permohonan izin oleh pemohon.
Peta Potensi Investasi | c pub o | Informasi peluang investasi per kawasan di Kota Bandung.
Survei Kepuasan Perizinan | c pub i | Survei kepuasan masyarakat atas layanan perizinan.
Verifikasi Dokumen Izin | c pub o | Pemeriksaan keaslian dokumen izin melalui kode QR.
[dinkes]
Sistem Informasi Puskesmas | s pub p | Rekam medis elektronik dan pelayanan di 80 puskesmas.
Bandung Sehat | c pub p | Informasi layanan kesehatan, jadwal dokter, dan antrean puskesmas.
SI Gizi Balita | s pub p | Pencatatan penimbangan balita dan status gizi dari posyandu.
Surveilans Penyakit Menular | s pub p | Pelaporan kasus DBD, TBC, dan penyakit menular lainnya.
e-Posyandu | s pub p | Pencatatan kegiatan posyandu oleh kader.
SIMKES Farmasi | s bmd i | Pengelolaan stok obat dan perbekalan kesehatan di gudang farmasi.
Sistem Rujukan Terintegrasi | s pub p | Rujukan pasien dari puskesmas ke rumah sakit.
Imunisasi Online | b pub p | Pencatatan dan pengingat jadwal imunisasi anak.
Registrasi Tenaga Kesehatan | c pub p | Permohonan surat izin praktik tenaga kesehatan.
[bapenda]
e-PBB | c pub p | Informasi tagihan dan pembayaran Pajak Bumi dan Bangunan.
e-BPHTB | c pub p | Pelaporan dan validasi Bea Perolehan Hak atas Tanah dan Bangunan.
e-Tax Hotel dan Restoran | c keu p | Perekaman transaksi usaha untuk pajak hotel dan restoran.
SIPDAH | s keu i | Sistem informasi pendapatan daerah: penetapan dan penerimaan pajak.
e-SPTPD | c keu p | Pelaporan pajak daerah secara mandiri oleh wajib pajak.
Pajak Reklame Online | c keu p | Penetapan dan pembayaran pajak reklame.
Dashboard Pendapatan Daerah | s keu i | Pemantauan realisasi pendapatan harian.
Bandung Bayar Pajak | c keu p | Kanal pembayaran pajak daerah melalui bank dan dompet digital.
[diskominfo]
LAPOR! Bandung | c pub p | Penyampaian aduan dan aspirasi warga, tersambung ke SP4N-LAPOR!.
Bandung Command Center | s adm i | Pemantauan CCTV, aduan, dan data kota secara waktu nyata.
Satu Data Bandung | c pub o | Portal data terbuka Kota Bandung.
Single Sign On Pemkot | s adm p | Akun tunggal pegawai untuk aplikasi Pemkot Bandung.
Sistem Pengelolaan Domain | s adm i | Permohonan subdomain bandung.go.id dan sertifikat TLS.
Bandung Wifi Publik | c pub i | Manajemen titik akses wifi gratis di ruang publik.
PPID Kota Bandung | c pub p | Permohonan informasi publik (UU 14/2008).
Helpdesk TIK | s adm i | Tiket gangguan jaringan dan perangkat TIK perangkat daerah.
Portal Berita Humas | c pub o | Publikasi berita resmi Pemerintah Kota Bandung.
Tanda Tangan Elektronik Pemkot | s ars r | Tanda tangan dokumen dinas dengan sertifikat elektronik.
[disdik]
PPDB Kota Bandung | c pub p | Penerimaan peserta didik baru SD dan SMP negeri.
Dapodik Kota | s pub p | Rekap data pokok pendidikan sekolah di Kota Bandung.
e-Rapor SD | s pub p | Penyusunan rapor digital di sekolah dasar.
Beasiswa Bandung Juara | c pub p | Pendaftaran dan verifikasi bantuan biaya pendidikan.
SI Tunjangan Guru | s peg p | Verifikasi tunjangan profesi dan tambahan penghasilan guru.
Bandung Belajar | b pub o | Bahan ajar daring untuk siswa dan guru.
[dishub]
Bandung Smart Parking | c pub p | Parkir elektronik di ruas jalan dengan mesin dan aplikasi.
e-Uji KIR | c pub p | Pendaftaran dan hasil uji berkala kendaraan bermotor.
ATCS Bandung | s pub i | Pengaturan lampu lalu lintas terpusat.
Info Trans Metro Bandung | c pub o | Posisi bus dan jadwal Trans Metro Bandung.
e-Retribusi Parkir | s keu i | Setoran dan rekap retribusi parkir juru parkir.
Izin Trayek Online | c pub p | Permohonan izin trayek angkutan kota.
[bkpsdm]
SIMPEG | s peg p | Data induk pegawai ASN Pemkot Bandung.
e-Kinerja ASN | s peg p | Penilaian kinerja harian dan tahunan pegawai.
Sistem Informasi Cuti | s peg p | Pengajuan dan persetujuan cuti pegawai.
SI Kenaikan Pangkat | s peg p | Usulan kenaikan pangkat dan berkas pendukung.
Bandung Learning Center | s peg p | Pelatihan daring dan catatan kompetensi pegawai.
Seleksi Jabatan Terbuka | b peg p | Pendaftaran seleksi terbuka jabatan pimpinan tinggi.
[rsud]
SIMRS RSUD | s pub p | Sistem informasi manajemen rumah sakit: pendaftaran, rawat jalan, rawat inap.
Antrean Online RSUD | c pub p | Pendaftaran poliklinik dan nomor antrean daring.
e-Resep RSUD | s pub p | Resep elektronik dari dokter ke instalasi farmasi.
Informasi Tempat Tidur | c pub o | Ketersediaan tempat tidur rawat inap secara waktu nyata.
PACS Radiologi | s pub p | Penyimpanan dan pembacaan citra radiologi.
[dinsos]
SIKS-NG Kota | s pub p | Pemutakhiran Data Terpadu Kesejahteraan Sosial.
Bansos Bandung | s pub p | Penyaluran dan pemantauan bantuan sosial daerah.
Layanan Rehabilitasi Sosial | s pub p | Pencatatan penanganan PMKS dan rujukan panti.
Cek Penerima Bansos | c pub p | Pemeriksaan status penerima bantuan oleh warga.
[dlh]
e-Retribusi Sampah | c keu p | Tagihan dan pembayaran retribusi pelayanan persampahan.
Bank Sampah Digital | c pub p | Pencatatan tabungan bank sampah warga.
Izin Lingkungan Online | c pub p | Permohonan dokumen lingkungan (UKL-UPL, SPPL).
Pemantauan Kualitas Udara | c pub o | Data sensor kualitas udara kota.
[disdagin]
e-Retribusi Pasar | b keu p | Penagihan retribusi kios dan los pasar tradisional.
Info Harga Pangan | c pub o | Harga harian bahan pokok di pasar Kota Bandung.
Metrologi Legal Online | c pub p | Pendaftaran tera dan tera ulang alat ukur.
[dpkp]
SI Rumah Tidak Layak Huni | s pub p | Pendataan dan bantuan perbaikan rumah tidak layak huni.
Sewa Rusunawa | c pub p | Pendaftaran dan tagihan sewa rumah susun sederhana.
Peta Taman Kota | c pub o | Informasi dan peminjaman taman kota untuk kegiatan.
Penyerahan PSU | s bmd i | Pencatatan prasarana, sarana, dan utilitas perumahan yang diserahkan.
[dcktr]
SIMBG Kota | c pub p | Persetujuan bangunan gedung (PBG) dan sertifikat laik fungsi.
Informasi Tata Ruang | c pub o | Peta rencana tata ruang dan keterangan rencana kota.
SI Jasa Konstruksi | b pub i | Pendataan badan usaha dan tenaga kerja konstruksi.
[disnaker]
Bursa Kerja Bandung | c pub p | Lowongan kerja dan pendaftaran pencari kerja.
Kartu Kuning Online | c pub p | Permohonan kartu pencari kerja (AK/1).
[disbudpar]
Bandung Tourism | c pub o | Informasi destinasi, acara, dan akomodasi wisata.
Pendaftaran Usaha Pariwisata | c pub p | Tanda daftar usaha pariwisata.
Cagar Budaya Bandung | c pub o | Data bangunan dan situs cagar budaya.
[satpolpp]
SI Penegakan Perda | s pub p | Pencatatan operasi penertiban dan pelanggaran perda.
Aduan Ketertiban | c pub p | Laporan gangguan ketertiban umum dari warga.
[diskarpb]
Call Center 112 Kebakaran | b pub p | Penerimaan panggilan darurat kebakaran dan penyelamatan.
Rekomendasi Proteksi Kebakaran | c pub p | Permohonan rekomendasi sistem proteksi kebakaran gedung.
[dppkb]
SI Keluarga Berencana | s pub p | Pencatatan akseptor dan pelayanan KB.
[dp3a]
Pengaduan Kekerasan Perempuan dan Anak | c pub r | Laporan dan pendampingan korban kekerasan.
[dispusip]
Perpustakaan Digital Bandung | c pub p | Peminjaman buku elektronik bagi warga.
SRIKANDI Kota | s ars i | Aplikasi umum kearsipan dinamis (nasional) di lingkungan Pemkot.
[dkpp]
Sistem Informasi Ketahanan Pangan | s pub i | Neraca dan cadangan pangan kota.
[dkukm]
Bandung UMKM Juara | b pub p | Pendataan dan pemasaran produk UMKM.
[dsdabm]
SI Jalan dan Drainase | s pub i | Kondisi jalan, jembatan, dan saluran drainase kota.
[dispora]
Sewa Gelanggang Olahraga | c pub p | Pemesanan lapangan dan gedung olahraga milik Pemkot.
[kesbangpol]
SI Ormas | b adm p | Pendaftaran dan pendataan organisasi kemasyarakatan.
[kecamatan-coblong]
Layanan Kecamatan Coblong | c pub p | Surat pengantar dan layanan administrasi di kecamatan.
"""

# What every agency builds for itself ("[*]"); ``{opd}`` is its short name.
_EVERY_AGENCY_TABLE = """
[*]
Website {opd} | c pub o | Portal informasi, berita, dan layanan {opd}.
e-Office {opd} | s ars i | Naskah dinas dan disposisi surat elektronik di {opd}.
SI Kepegawaian {opd} | s peg p | Data pegawai dan jabatan internal {opd}.
e-Kinerja {opd} | s akt i | Laporan capaian kinerja bidang di {opd}.
SI Aset {opd} | s bmd i | Inventaris barang milik daerah yang dipakai {opd}.
Perencanaan Program {opd} | s ren i | Penyusunan renja dan rencana kegiatan {opd}.
Dashboard Data {opd} | s adm i | Ringkasan data sektoral {opd} untuk pimpinan.
Pengaduan Layanan {opd} | c pub p | Aduan warga atas layanan {opd}.
SI Keuangan {opd} | s keu i | Penatausahaan keuangan dan SPJ {opd}.
Absensi Online {opd} | s peg p | Kehadiran pegawai {opd} dengan swafoto dan lokasi.
Buku Tamu Digital {opd} | b adm p | Pencatatan tamu dan janji temu di {opd}.
Monitoring Kegiatan {opd} | s akt i | Pemantauan realisasi fisik dan keuangan kegiatan {opd}.
SI Anggaran {opd} | s ang i | Penyusunan RKA dan pergeseran anggaran {opd}.
e-Arsip {opd} | s ars i | Alih media dan penyimpanan arsip {opd}.
Pengawasan Internal {opd} | s was i | Tindak lanjut temuan pemeriksaan di {opd}.
"""

#: How much of the shared kinds of app each agency built: the big service agencies more.
_WEIGHT = {
    "disdukcapil": 3.0, "dpmptsp": 3.0, "dinkes": 3.0, "bapenda": 3.0, "diskominfo": 3.0,
    "disdik": 2.5, "bkpsdm": 2.0, "dishub": 2.0, "rsud": 2.0, "dinsos": 2.0, "dlh": 1.5,
    "dpkp": 1.5, "dcktr": 1.5, "disdagin": 1.5, "kecamatan-coblong": 0.4,
}  # fmt: skip
_SHORT = {
    "disdukcapil": "Disdukcapil", "dpmptsp": "DPMPTSP", "dinkes": "Dinkes", "bapenda": "Bapenda",
    "diskominfo": "Diskominfo", "disdik": "Disdik", "bkpsdm": "BKPSDM", "dishub": "Dishub",
    "rsud": "RSUD", "dinsos": "Dinsos", "dlh": "DLH", "dpkp": "DPKP", "dcktr": "DCKTR",
    "disdagin": "Disdagin", "disnaker": "Disnaker", "disbudpar": "Disbudpar",
    "satpolpp": "Satpol PP", "diskarpb": "Diskar PB", "dppkb": "DPPKB", "dp3a": "DP3A",
    "dispusip": "Dispusip", "dkpp": "DKPP", "dkukm": "DKUKM", "dsdabm": "DSDABM",
    "dispora": "Dispora", "kesbangpol": "Kesbangpol", "kecamatan-coblong": "Kec. Coblong",
}  # fmt: skip
#: Apps that run on national platforms rather than the city's data centre.
_NATIONAL = {"SRIKANDI Kota", "SIKS-NG Kota", "Dapodik Kota", "SIMBG Kota"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60].strip("-")


_USERS = {"c": "citizens", "s": "staff", "b": "both"}
_DATA = {"o": "public", "i": "internal", "p": "personal", "r": "secret"}
_AREAS = {
    "pub": "layanan_publik", "adm": "administrasi_lainnya", "ars": "kearsipan",
    "keu": "keuangan", "peg": "kepegawaian", "bmd": "barang_milik_daerah",
    "akt": "akuntabilitas_kinerja", "ren": "perencanaan", "ang": "penganggaran",
    "was": "pengawasan", "pbj": "pengadaan",
}  # fmt: skip


def _parse_table(table: str) -> list[_Idea]:
    """Read one of the tables above; the agency of a "[*]" section is filled in later."""
    ideas: list[_Idea] = []
    agency = ""
    for line in filter(None, (raw.strip() for raw in table.splitlines())):
        if line.startswith("["):
            agency = line.strip("[]")
            continue
        name, codes, purpose = (part.strip() for part in line.split(" | "))
        users, area, data = codes.split()
        ideas.append(_Idea(agency, name, purpose, _USERS[users], _AREAS[area], _DATA[data]))
    return ideas


def _ideas(rng: random.Random) -> list[_Idea]:
    """All own apps, then shared kinds of app drawn by agency weight up to ``TOTAL``."""
    own = _parse_table(_OWN_TABLE)
    shared = [
        replace(
            idea,
            agency=agency,
            name=idea.name.format(opd=short),
            purpose=idea.purpose.format(opd=short),
        )
        for agency, short in _SHORT.items()
        for idea in _parse_table(_EVERY_AGENCY_TABLE)
    ]
    # Weighted sampling without replacement (Efraimidis-Spirakis): the key u^(1/w).
    shared.sort(key=lambda idea: rng.random() ** (1 / _WEIGHT.get(idea.agency, 1.0)), reverse=True)
    return own + shared[: TOTAL - len(own)]


def _hosting(rng: random.Random, idea: _Idea) -> str:
    if idea.name in _NATIONAL:
        return "national_data_centre"
    roll = rng.random()
    if roll < 0.74:
        return "regional_data_centre"
    if roll < 0.86:
        return "cloud"
    if roll < 0.97:
        return "vendor"
    return "national_data_centre"


def _url(idea: _Idea, code: str, status: str) -> str:
    if status != "operating":
        return ""
    site = f"https://{idea.agency.replace('-', '')}.bandung.go.id"
    if idea.name.startswith("Website"):
        return site
    if idea.users == "staff":  # internal systems live under the agency's site
        return f"{site}/{code.removesuffix('-' + _slug(_SHORT[idea.agency]))}"
    return f"https://{code}.bandung.go.id"


def demo_inventory_rows() -> list[dict[str, str]]:
    """The 394 demo apps as inventory spreadsheet rows (``inventory.COLUMNS``), ordered by code."""
    rng = random.Random(_SEED)  # noqa: S311 - repeatable demo data, nothing secret
    ideas = _ideas(rng)
    statuses = (
        ["operating"] * OPERATING + ["in_development"] * IN_DEVELOPMENT + ["retired"] * RETIRED
    )
    rng.shuffle(statuses)
    codes: set[str] = set()
    rows: list[dict[str, str]] = []
    for idea, status in zip(ideas, statuses, strict=True):
        code = _slug(idea.name)
        if code in codes:
            code = _slug(f"{idea.name} {idea.agency}")
        codes.add(code)
        rows.append(
            {
                "kode": code,
                "nama": idea.name,
                "opd": idea.agency,
                "tujuan": idea.purpose,
                "pengguna": idea.users,
                "url": _url(idea, code, status),
                "hosting": _hosting(rng, idea),
                "status": status,
                "area_spbe": idea.area,
                "klasifikasi_data": idea.classification,
                "status_integrasi": "not_planned",
                "tahun_rencana": "",
                "tanggal_integrasi": "",
            }
        )
    _plan_integrations(rng, rows)
    return sorted(rows, key=lambda row: row["kode"])


def _plan_integrations(rng: random.Random, rows: list[dict[str, str]]) -> None:
    """Ten operating apps integrated per year 2022-2025, ten planned for 2026 and for 2027.

    Public services go first, as a city integrates what citizens use most.
    """
    running = [r for r in rows if r["status"] == "operating"]
    rng.shuffle(running)
    running.sort(key=lambda r: r["area_spbe"] != "layanan_publik")
    for index, year in enumerate(INTEGRATED_YEARS):
        for row in running[index * PER_YEAR : (index + 1) * PER_YEAR]:
            day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
            row.update(status_integrasi="integrated", tanggal_integrasi=day.isoformat())
    candidates = [
        r for r in rows if r["status"] != "retired" and r["status_integrasi"] == "not_planned"
    ]
    chosen = rng.sample(candidates, PER_YEAR * len(PLANNED_YEARS))
    for index, year in enumerate(PLANNED_YEARS):
        for row in chosen[index * PER_YEAR : (index + 1) * PER_YEAR]:
            row.update(status_integrasi="planned", tahun_rencana=str(year))


def seed_demo_inventory(session: Session, region: Region) -> int:
    """Import the demo inventory when the region has no apps yet; returns how many were added."""
    if repository.count_apps(session, region.id):
        return 0
    report = inventory.import_apps(
        session, region, demo_inventory_rows(), all_or_nothing=True, actor_label="demo"
    )
    inventory.require_valid(report)
    return report.created
