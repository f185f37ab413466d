"""The service standard (standar pelayanan, PermenPANRB 15/2014) and the eForm of a service.

Both are plain pydantic models so the same rules hold for the database, the API, the
seed files and a region's own edits.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simpul.core.i18n import lazy
from simpul.core.personal import KINDS, MARK, RULES, PersonalKind

#: The 14 components, in the order the regulation lists them. The first six are the
#: delivery components (komponen penyampaian pelayanan), the rest the management ones
#: (komponen pengelolaan pelayanan).
DELIVERY_COMPONENTS: Final = (
    "persyaratan",
    "sistem_mekanisme_prosedur",
    "jangka_waktu",
    "biaya_tarif",
    "produk_pelayanan",
    "penanganan_pengaduan",
)
MANAGEMENT_COMPONENTS: Final = (
    "dasar_hukum",
    "sarana_prasarana",
    "kompetensi_pelaksana",
    "pengawasan_internal",
    "jumlah_pelaksana",
    "jaminan_pelayanan",
    "jaminan_keamanan_keselamatan",
    "evaluasi_kinerja_pelaksana",
)
STANDARD_COMPONENTS: Final = DELIVERY_COMPONENTS + MANAGEMENT_COMPONENTS

_Text = Field(min_length=3, max_length=4000)


class ServiceStandard(BaseModel):
    """The 14 published components; each is text, one item per line where it is a list."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    persyaratan: str = _Text
    sistem_mekanisme_prosedur: str = _Text
    jangka_waktu: str = _Text
    biaya_tarif: str = _Text
    produk_pelayanan: str = _Text
    penanganan_pengaduan: str = _Text
    dasar_hukum: str = _Text
    sarana_prasarana: str = _Text
    kompetensi_pelaksana: str = _Text
    pengawasan_internal: str = _Text
    jumlah_pelaksana: str = _Text
    jaminan_pelayanan: str = _Text
    jaminan_keamanan_keselamatan: str = _Text
    evaluasi_kinerja_pelaksana: str = _Text


class RequiredDocument(BaseModel):
    """A document the applicant uploads (PDF, JPEG or PNG)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[a-z0-9_]{2,40}$")
    name: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=500)
    required: bool = True
    #: Several files for this requirement ("satu berkas untuk setiap anak"): uploads add
    #: files instead of replacing, up to ``max_files`` (decision 0048).
    multiple: bool = False
    max_files: int = Field(default=10, ge=1, le=20)
    #: The name and description on English pages (empty: the Indonesian is shown).
    name_en: str = Field(default="", max_length=200)
    description_en: str = Field(default="", max_length=500)


class EForm(BaseModel):
    """A JSON Schema (draft 2020-12) describing the application data, plus UI hints.

    ``ui`` maps a property name to hints: ``widget`` (``textarea``, ``radio``, ``select``,
    ``address``, ``nik``, ``phone``), ``help`` (a sentence shown under the field) and
    ``placeholder``. Field order is the order of ``schema.properties``.

    A field holding personal data says so in its schema: ``"x-simpul-personal": "<kind>"``
    with a kind of ``core.personal.PersonalKind`` (nik, kk, phone, email, name, address,
    identifier, other); on an object or an array it covers everything inside. Such answers
    are stored encrypted and shown masked (decision 0022).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    json_schema: dict[str, Any] = Field(alias="schema")
    ui: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("json_schema")
    @classmethod
    def _is_object_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            Draft202012Validator.check_schema(value)
        except SchemaError as exc:
            path = "/".join(str(p) for p in exc.path) or "(root)"
            raise ValueError(f"invalid JSON Schema at {path}: {exc.message}") from exc
        if value.get("type") != "object" or not value.get("properties"):
            raise ValueError("an eForm schema must be an object with properties")
        if MARK in value:
            raise ValueError(f"{MARK} marks a field of the form, not the form itself")
        problems = list(_personal_mark_problems(value, ""))
        if problems:
            raise ValueError("; ".join(problems))
        return value


def _declared_type(node: dict[str, Any]) -> str:
    declared = node.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), None)
    if isinstance(declared, str):
        return declared
    if "properties" in node:
        return "object"
    return "array" if "items" in node else "string"


def _personal_mark_problems(node: dict[str, Any], path: str) -> Iterator[str]:
    """Each wrong ``x-simpul-personal`` mark under ``node``, saying where (the JSON pointer
    of the field's schema) and why (decision 0022: ``core.personal`` defines the kinds)."""
    children: list[tuple[str, Any]] = []
    properties = node.get("properties")
    if isinstance(properties, dict):
        children += [(f"{path}properties/{key}", child) for key, child in properties.items()]
    if isinstance(node.get("items"), dict):
        children.append((f"{path}items", node["items"]))
    for child_path, child in children:
        if not isinstance(child, dict):
            continue
        if MARK in child:
            mark = child[MARK]
            if not isinstance(mark, str) or mark not in KINDS:
                yield (
                    f"{MARK} at {child_path}: {mark!r} is not a kind of personal data "
                    f"(use one of {', '.join(sorted(KINDS))})"
                )
            elif RULES[PersonalKind(mark)].text_only and _declared_type(child) != "string":
                yield (
                    f"{MARK} at {child_path}: {mark} marks a text field, "
                    f"not a field of type {_declared_type(child)}"
                )
        yield from _personal_mark_problems(child, f"{child_path}/")


#: Headings of the components as the regulation names them (translated at render time).
COMPONENT_LABELS: Final = {
    "persyaratan": lazy("Persyaratan"),
    "sistem_mekanisme_prosedur": lazy("Sistem, mekanisme dan prosedur"),
    "jangka_waktu": lazy("Jangka waktu penyelesaian"),
    "biaya_tarif": lazy("Biaya/tarif"),
    "produk_pelayanan": lazy("Produk pelayanan"),
    "penanganan_pengaduan": lazy("Penanganan pengaduan, saran dan masukan"),
    "dasar_hukum": lazy("Dasar hukum"),
    "sarana_prasarana": lazy("Sarana dan prasarana, dan/atau fasilitas"),
    "kompetensi_pelaksana": lazy("Kompetensi pelaksana"),
    "pengawasan_internal": lazy("Pengawasan internal"),
    "jumlah_pelaksana": lazy("Jumlah pelaksana"),
    "jaminan_pelayanan": lazy("Jaminan pelayanan"),
    "jaminan_keamanan_keselamatan": lazy("Jaminan keamanan dan keselamatan pelayanan"),
    "evaluasi_kinerja_pelaksana": lazy("Evaluasi kinerja pelaksana"),
}


#: The staff roles a step can be given to (``accounts.models.StaffRoleName``), in the order
#: an agency's desk usually runs: verifikator (checks the file), operator (enters data in the
#: agency's system, e.g. the register number), penyetuju (approves), penandatangan (the head of
#: the office, who signs the product), admin_opd (manages the agency's desk).
STEP_ROLES: Final = ("verifikator", "operator", "penyetuju", "penandatangan", "admin_opd")

#: What a step asks of the officer before the decision (decision 0041):
#: ``review``: look at the file and decide; ``data_entry``: fill the step's ``fields`` (they
#: print on the product, e.g. the register number); ``field_check``: a visit with its date,
#: notes and photos; ``payment``: the retribusi is paid (the officer records the payment
#: reference, or the payment provider's webhook does).
STEP_KINDS: Final = ("review", "data_entry", "field_check", "payment")


class OfficerField(BaseModel):
    """A value an officer enters at a ``data_entry`` step (stored in
    ``application.officer_data[code]``; a product prints it through ``step:<code>``)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,38}$")
    label: str = Field(min_length=2, max_length=120)
    label_en: str = Field(default="", max_length=120)
    #: A regular expression the whole value must match (e.g. ``^3273-LU-\d{8}-\d{4}$``).
    pattern: str | None = Field(default=None, max_length=200)
    #: Shown under the field: what to type and where it comes from.
    help: str = Field(default="", max_length=300)
    required: bool = True
    max_length: int = Field(default=200, ge=1, le=2000)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from exc
        return value


class WorkflowStep(BaseModel):
    """One step of a service's workflow: who acts, what the step asks of them, what they may do."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,38}$")
    name: str = Field(min_length=3, max_length=120)
    name_en: str = Field(min_length=3, max_length=120)
    role: str = Field(pattern="^(" + "|".join(STEP_ROLES) + ")$")
    #: Always includes "approve"; "return" sends it back to the citizen, "reject" ends it.
    actions: list[str] = Field(min_length=1)
    kind: str = Field(default="review", pattern="^(" + "|".join(STEP_KINDS) + ")$")
    #: ``data_entry`` only: what the officer fills in.
    fields: list[OfficerField] = Field(default_factory=list, max_length=20)
    #: The numbers of the items of the standard's ``sistem_mekanisme_prosedur`` this step
    #: carries out (``simpul catalogue check-standards`` compares them).
    procedure: list[int] = Field(default_factory=list, max_length=10)
    #: Whether this step signs the service's products (the officer's passphrase is asked).
    #: At most one step signs; when none says so, the last step signs.
    signs: bool = False

    @field_validator("actions")
    @classmethod
    def _known_actions(cls, value: list[str]) -> list[str]:
        unknown = set(value) - {"approve", "return", "reject"}
        if unknown or "approve" not in value:
            raise ValueError("actions are approve (required), return and reject")
        return value

    @model_validator(mode="after")
    def _fields_only_for_data_entry(self) -> WorkflowStep:
        if self.kind == "data_entry" and not self.fields:
            raise ValueError(f"step {self.code}: a data_entry step lists the fields it fills")
        if self.kind != "data_entry" and self.fields:
            raise ValueError(f"step {self.code}: only a data_entry step has fields")
        return self


class Workflow(BaseModel):
    model_config = ConfigDict(extra="forbid")

    steps: list[WorkflowStep] = Field(min_length=1, max_length=10)
    #: Four eyes: the officer who decides at an approving step (role penyetuju or
    #: penandatangan, or the signing step) must not be one who approved an earlier
    #: verification (a step of role verifikator) of the same application. None: on when the
    #: service issues a signed product (the default of every service that has products).
    four_eyes: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Workflow:
        codes = [s.code for s in self.steps]
        if len(codes) != len(set(codes)):
            raise ValueError("step codes must be unique")
        fields = [f.code for s in self.steps for f in s.fields]
        if len(fields) != len(set(fields)):
            raise ValueError("officer field codes must be unique across the steps")
        if sum(s.signs for s in self.steps) > 1:
            raise ValueError("at most one step signs the products")
        if any(s.signs for s in self.steps[:-1]):
            # The products are issued when the last step is approved: a signing step before
            # it would sign what later steps may still change or refuse.
            raise ValueError("the step that signs the products is the last step")
        return self

    def step(self, code: str | None) -> WorkflowStep | None:
        return next((s for s in self.steps if s.code == code), None)

    def next_step(self, code: str) -> WorkflowStep | None:
        codes = [s.code for s in self.steps]
        position = codes.index(code)
        return self.steps[position + 1] if position + 1 < len(self.steps) else None

    @property
    def signing_step(self) -> WorkflowStep:
        """The step whose approval signs the products (the one marked, else the last)."""
        return next((s for s in self.steps if s.signs), self.steps[-1])

    def officer_fields(self) -> dict[str, OfficerField]:
        """Every field a data_entry step fills, by code."""
        return {f.code: f for s in self.steps for f in s.fields}


#: What a service does unless it declares its own steps: verification, then approval.
DEFAULT_WORKFLOW: Final[dict[str, Any]] = {
    "steps": [
        {
            "code": "verifikasi",
            "name": "Verifikasi berkas",
            "name_en": "Document verification",
            "role": "verifikator",
            "actions": ["approve", "return", "reject"],
        },
        {
            "code": "persetujuan",
            "name": "Persetujuan",
            "name_en": "Approval",
            "role": "penyetuju",
            "actions": ["approve", "return", "reject"],
        },
    ]
}
