"""Issued documents: the signed PDF an approved application produces, and its verification.

The pure parts need no database and are what the worker, the pages and the CLI call:

- ``pki``: the region CA and officer certificates (``init_region_pki``), loading a signer
  (``load_signer``; the ``SignerSource`` seam for BSrE PKCS#12 files or a PKCS#11 token),
  an optional RFC 3161 time-stamp authority (``http_timestamper``);
- ``render``: ``DocumentContent`` -> PDF bytes (fpdf2), number and code in its XMP metadata;
- ``signing``: ``sign_pdf`` -> PAdES with a visible stamp carrying the verification QR code;
- ``codes``: verification codes a person can type (Crockford base32, 80 bits, in groups);
- ``verify``: ``verify_pdf`` -> one ``Verification`` (valid, mismatch, changed, invalid,
  unknown, revoked, not_pdf, unsigned, foreign), given the region's CA and a ``lookup`` of the
  issued record (hash, signer certificate) of a code (decision 0019).

The database parts follow the module template: ``models`` (``IssuedDocument``),
``repository`` (every query), ``service`` (recording and revoking), ``verification`` (the
check that the page, the API and the CLI share, a code's public record), ``pages`` and
``api`` (+ ``schemas``, ``throttle``), and ``cli`` (``simpul pki init``, ``simpul doc verify``).
"""
