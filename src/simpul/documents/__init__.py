"""Issued documents: the signed PDF an approved application produces, and its verification.

The pure parts need no database and are what the worker, the pages and the CLI call:

- ``pki``: the region CA and officer certificates (``init_region_pki``), loading a signer
  (``load_signer``; the ``SignerSource`` seam for BSrE PKCS#12 files or a PKCS#11 token),
  an optional RFC 3161 time-stamp authority (``http_timestamper``);
- ``render``: ``DocumentContent`` -> PDF bytes (fpdf2), number and code in its XMP metadata;
- ``signing``: ``sign_pdf`` -> PAdES with a visible stamp carrying the verification QR code;
- ``verify``: ``verify_pdf`` -> one ``Verification`` (valid, invalid, changed, unknown,
  revoked, not_pdf, unsigned, foreign), given the region's CA and a ``lookup`` of codes.

The database parts follow the module template: ``models`` (``IssuedDocument``),
``repository`` (every query), ``service`` (verification codes, the lookup for a region), and
``cli`` (``simpul pki init``, ``simpul doc verify``).
"""
