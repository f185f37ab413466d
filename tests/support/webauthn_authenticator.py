"""A software WebAuthn authenticator for tests: a real EC P-256 key, real CBOR, real
signatures (what a phone's platform authenticator does, in Python). Its answers go to the
server exactly as a browser's ``PublicKeyCredential.toJSON()`` would send them."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import uuid
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url

#: Authenticator data flags (WebAuthn §6.1).
UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = uuid.UUID("5f0a1d6c-6b0a-4c53-9d6e-2f1e5a7c3b11")


def _b64(data: bytes) -> str:
    return bytes_to_base64url(data)


@dataclass
class SoftAuthenticator:
    """One credential on one authenticator, with its own signature counter."""

    rp_id: str
    origin: str
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: os.urandom(32))
    sign_count: int = 0
    user_handle: bytes = b""

    def cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _auth_data(self, rp_id: str, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + struct.pack(">I", self.sign_count) + attested

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()

    def create(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        flags: int = UP | UV,
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.create`` options (as JSON) with attestation ``none``."""
        self.user_handle = base64url_to_bytes(options["user"]["id"])
        attested = (
            AAGUID.bytes
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self.cose_key()
        )
        auth_data = self._auth_data(rp_id or self.rp_id, flags | AT, attested)
        client_data = self._client_data(
            "webauthn.create", options["challenge"], origin or self.origin
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": _b64(self.credential_id),
            "rawId": _b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": _b64(client_data),
                "attestationObject": _b64(attestation),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        origin: str | None = None,
        rp_id: str | None = None,
        flags: int = UP | UV,
        count: int | None = None,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.get`` options: the counter goes up by one (or is
        set to ``count``) and authenticatorData || SHA-256(clientDataJSON) is signed."""
        self.sign_count = self.sign_count + 1 if count is None else count
        auth_data = self._auth_data(rp_id or self.rp_id, flags)
        client_data = self._client_data(
            "webauthn.get", challenge or options["challenge"], origin or self.origin
        )
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": _b64(self.credential_id),
            "rawId": _b64(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": _b64(client_data),
                "authenticatorData": _b64(auth_data),
                "signature": _b64(signature),
                "userHandle": _b64(self.user_handle),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "platform",
        }
