"""Parallel redemption of one authorization code on a real server: exactly one wins."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import requests

from simpul.demo.oidc import DEMO_RP_CLIENT_ID, DEMO_RP_REDIRECT, DEMO_RP_SECRET
from simpul.identity.oidc.service import s256
from tests.support.oidc_live import REGION, demo_database_url, provider_url, sign_in_and_allow

__all__ = ["demo_database_url", "provider_url"]


def test_one_code_redeemed_in_parallel_gives_tokens_once(provider_url: str) -> None:
    issuer = f"{provider_url}/{REGION}"
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(8)
    query = {
        "client_id": DEMO_RP_CLIENT_ID,
        "redirect_uri": DEMO_RP_REDIRECT,
        "response_type": "code",
        "scope": "openid profile",
        "state": state,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    url = requests.Request("GET", f"{issuer}/oidc/authorize", params=query).prepare().url
    assert url is not None
    with requests.Session() as browser:
        callback = sign_in_and_allow(browser, provider_url, url)
    code = parse_qs(urlsplit(callback).query)["code"][0]

    def redeem(_index: int) -> int:
        response = requests.post(
            f"{issuer}/oidc/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": DEMO_RP_REDIRECT,
                "code_verifier": verifier,
            },
            auth=(DEMO_RP_CLIENT_ID, DEMO_RP_SECRET),
            timeout=30,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(redeem, range(6)))
    assert sorted(statuses) == [200, 400, 400, 400, 400, 400]
