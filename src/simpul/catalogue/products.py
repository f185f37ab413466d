"""A service's products as templates: what each issued document is titled and prints.

A service issues the products its standard lists (``produk_pelayanan``): an akta, an updated
KK, a permit. Each is a ``ProductTemplate`` kept in ``service.products`` (a list, in the order
they are issued) and edited by the region admin (decision 0041). A field's ``source`` says
where its value comes from:

- ``form:<path>``: an answer of the eForm (``nama_anak``, ``alamat.kelurahan``);
- ``step:<code>``: a value an officer entered at a ``data_entry`` step (the register number);
- ``applicant:name`` / ``applicant:nik``: the applicant's account;
- ``application:tracking_number`` / ``application:submitted_on`` / ``application:finished_on``;
- ``text:<words>``: fixed words.

The signer's name, position (jabatan) and NIP come from the signing officer's account; the
letterhead from the region and the agency; the number from the agency's number format.
"""

from __future__ import annotations

import re
from typing import Final

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SOURCE_PREFIXES: Final = ("form:", "step:", "applicant:", "application:", "text:")
APPLICANT_SOURCES: Final = ("applicant:name", "applicant:nik")
APPLICATION_SOURCES: Final = (
    "application:tracking_number",
    "application:submitted_on",
    "application:finished_on",
)
LAYOUTS: Final = ("surat", "sertifikat")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")


class ProductField(BaseModel):
    """One printed line: a label and where its value comes from."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    label: str = Field(min_length=2, max_length=120)
    source: str = Field(min_length=6, max_length=300)

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if not value.startswith(SOURCE_PREFIXES):
            raise ValueError(f"source starts with one of {', '.join(SOURCE_PREFIXES)}")
        kind, _, rest = value.partition(":")
        if kind == "applicant" and value not in APPLICANT_SOURCES:
            raise ValueError(f"applicant sources are {', '.join(APPLICANT_SOURCES)}")
        if kind == "application" and value not in APPLICATION_SOURCES:
            raise ValueError(f"application sources are {', '.join(APPLICATION_SOURCES)}")
        if kind in ("form", "step") and not _PATH.match(rest):
            raise ValueError(f"{kind}: is followed by a field name (letters, digits, _ and .)")
        if kind == "text" and not rest.strip():
            raise ValueError("text: is followed by the words to print")
        return value


class ProductTemplate(BaseModel):
    """A product the service issues (one signed PDF per product per application)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,38}$")
    #: Printed as the document's title, and named in the standard's ``produk_pelayanan``.
    title: str = Field(min_length=3, max_length=120)
    title_en: str = Field(default="", max_length=120)
    #: ``surat`` (a letter: statement, then label : value rows) or ``sertifikat`` (a
    #: certificate: the title large, the fields centred in a frame).
    layout: str = Field(default="surat", pattern="^(" + "|".join(LAYOUTS) + ")$")
    #: The statement before the fields.
    opening: str = Field(default="", max_length=1000)
    fields: list[ProductField] = Field(min_length=1, max_length=40)
    #: Words after the fields (validity, a note).
    closing: str = Field(default="", max_length=1000)
    #: The signer's position printed when their account names none (``Kepala Dinas ...``).
    signer_position: str = Field(default="", max_length=200)

    @model_validator(mode="after")
    def _unique_labels(self) -> ProductTemplate:
        labels = [f.label.casefold() for f in self.fields]
        if len(labels) != len(set(labels)):
            raise ValueError(f"product {self.code}: each field has its own label")
        return self


def validate_products(raw: object) -> list[ProductTemplate]:
    """A service's ``products`` list; codes unique. Raises ``pydantic.ValidationError``
    or ``ValueError``."""
    from pydantic import TypeAdapter

    products = TypeAdapter(list[ProductTemplate]).validate_python(raw)
    codes = [p.code for p in products]
    if len(codes) != len(set(codes)):
        raise ValueError("each product has its own code")
    return products
