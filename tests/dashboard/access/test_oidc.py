"""Single sign-on end to end against a real OpenID Connect provider process on loopback
(oidc-provider-mock): discovery, the code flow with PKCE, state and nonce, claims mapped to
roles by the mapping file, and tokens from another issuer refused."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from access_helpers import SECRET
from servers import free_port, wait_until_up

from dashboard.access.mapping import MappingError, RoleMapping

MAPPING = """
[[rule]]
email = "ana@gov.bc.ca"
role = "ministry"

[[rule]]
claim = "groups"
value = "mcred-bcit"
role = "institution"
institution = "BCIT"
"""


@contextmanager
def _provider() -> Iterator[str]:
    """A real OpenID Connect provider process on loopback (nonce required); yields its issuer."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--require-nonce", "true"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(issuer + "/.well-known/openid-configuration", proc, timeout=30)
        yield issuer
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def provider():
    with _provider() as issuer:
        yield issuer


@pytest.fixture(scope="module")
def other_provider():
    with _provider() as issuer:
        yield issuer


@pytest.fixture
def sso_app(signed_in_app, provider, tmp_path):
    mapping = tmp_path / "roles.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    app, store = signed_in_app(
        auth="oidc",
        secret_key=SECRET,
        oidc_issuer=provider,
        oidc_client_id="mcred-test",
        oidc_client_secret="client-secret-for-tests",
        oidc_mapping=mapping,
    )
    return app, store


def _start(client, next_path="/"):
    response = client.get(f"/login/oidc?next={next_path}")
    assert response.status_code == 302
    return response.headers["Location"]


def _person_signs_in_at_the_provider(authorize_url: str, sub: str) -> str:
    """What the browser does at the provider: the person picks who they are; the provider
    redirects back with a code."""
    response = requests.post(authorize_url, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def _callback(client, location: str):
    parts = urlsplit(location)
    assert parts.path == "/login/oidc/callback"
    return client.get(f"{parts.path}?{parts.query}")


def test_code_flow_with_pkce_state_and_nonce_signs_a_ministry_user_in(sso_app, provider):
    app, store = sso_app
    client = app.server.test_client()
    assert client.get("/export/offerings.csv").status_code == 401
    authorize = _start(client, "/compare")
    assert authorize.startswith(provider + "/oauth2/authorize?")
    query = parse_qs(urlsplit(authorize).query)
    assert query["response_type"] == ["code"] and query["client_id"] == ["mcred-test"]
    assert query["code_challenge_method"] == ["S256"] and query["state"] and query["nonce"]
    # PKCE: the verifier kept in the session hashes to the challenge that was sent.
    with client.session_transaction() as session:
        (state_data,) = [v["data"] for k, v in session.items() if k.startswith("_state_mcred_")]
    verifier = state_data["code_verifier"]
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert query["code_challenge"] == [digest]

    response = _callback(client, _person_signs_in_at_the_provider(authorize, "ana@gov.bc.ca"))
    assert response.status_code == 302 and response.headers["Location"] == "/compare"
    assert client.get("/export/offerings.csv").status_code == 200
    event = store.events()[-1]
    assert (event.action, event.actor, event.role, event.detail["via"]) == (
        "sign_in",
        "ana@gov.bc.ca",
        "ministry",
        "oidc",
    )


def test_a_group_claim_maps_to_an_institution_role(sso_app, provider):
    app, _ = sso_app
    requests.put(
        f"{provider}/users/lee", json={"email": "lee@bcit.ca", "groups": ["staff", "mcred-bcit"]}, timeout=10
    ).raise_for_status()
    client = app.server.test_client()
    response = _callback(client, _person_signs_in_at_the_provider(_start(client), "lee"))
    assert response.status_code == 302
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "lee@bcit.ca (institution: BCIT)" in layout


def test_a_person_no_rule_matches_is_told_and_not_signed_in(sso_app):
    app, store = sso_app
    client = app.server.test_client()
    response = _callback(client, _person_signs_in_at_the_provider(_start(client), "stranger@example.org"))
    assert response.status_code == 403 and "mcred has no role for you" in response.text
    assert client.get("/export/offerings.csv").status_code == 401
    assert store.events()[-1].detail["reason"] == "no role in MCRED_OIDC_MAPPING"


def test_a_forged_or_replayed_state_is_refused(sso_app):
    app, _ = sso_app
    client = app.server.test_client()
    location = _person_signs_in_at_the_provider(_start(client), "ana@gov.bc.ca")
    forged = location.replace("state=", "state=forged")
    assert _callback(client, forged).status_code == 401
    # Another browser (no session of this flow) cannot use the code either.
    assert _callback(app.server.test_client(), location).status_code == 401
    assert client.get("/export/offerings.csv").status_code == 401


def test_a_provider_error_is_a_plain_refusal(sso_app):
    app, _ = sso_app
    client = app.server.test_client()
    _start(client)
    response = client.get("/login/oidc/callback?error=access_denied&state=x")
    assert response.status_code == 401 and "did not complete" in response.text


def _real_token(issuer: str) -> dict:
    """An ID token the provider at ``issuer`` really issued (code flow with PKCE, nonce n0nce)."""
    from authlib.integrations.requests_client import OAuth2Session

    metadata = requests.get(issuer + "/.well-known/openid-configuration", timeout=10).json()
    session = OAuth2Session(
        "mcred-test", "x", scope="openid email", redirect_uri="http://localhost/cb", code_challenge_method="S256"
    )
    verifier = "v" * 64
    url, _state = session.create_authorization_url(
        metadata["authorization_endpoint"], nonce="n0nce", code_verifier=verifier
    )
    code = parse_qs(urlsplit(_person_signs_in_at_the_provider(url, "ana@gov.bc.ca")).query)["code"][0]
    return dict(session.fetch_token(metadata["token_endpoint"], code=code, code_verifier=verifier))


def test_id_tokens_from_another_issuer_are_refused(sso_app, provider, other_provider):
    from joserfc.errors import BadSignatureError, InvalidClaimError

    app, _ = sso_app
    state = app.server.extensions["mcred.access"]
    pinned = {"iss": {"essential": True, "values": [state.settings.oidc_issuer]}}
    with app.server.test_request_context():
        client = state.oauth_client
        # Signed by another provider's keys: refused on the signature.
        with pytest.raises(BadSignatureError):
            client.parse_id_token(_real_token(other_provider), nonce="n0nce", claims_options=pinned)
        # Signed by the right keys but naming another issuer than MCRED_OIDC_ISSUER: refused on iss.
        token = _real_token(provider)
        assert client.parse_id_token(token, nonce="n0nce", claims_options=pinned)["email"] == "ana@gov.bc.ca"
        with pytest.raises(InvalidClaimError, match="iss"):
            client.parse_id_token(
                token, nonce="n0nce", claims_options={"iss": {"essential": True, "values": [other_provider]}}
            )
        # And a replayed token with another nonce.
        with pytest.raises(InvalidClaimError, match="nonce"):
            client.parse_id_token(token, nonce="another", claims_options=pinned)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[rule]]\nemail='a@b.ca'\nrole='admin'\n", "rule 1: role must be ministry or institution"),
        ("[[rule]]\nemail='a@b.ca'\nrole='institution'\n", "rule 1: an institution rule names its institution"),
        ("[[rule]]\nclaim='groups'\nrole='ministry'\n", "rule 1: claim and value go together"),
        ("[[rule]]\nrole='ministry'\n", "rule 1: give exactly one of email, email_domain or claim"),
        ("[[rule]]\nemail='a@b.ca'\nrole='ministry'\nteam='x'\n", "rule 1: unknown key 'team'"),
        ("", "no [[rule]] entries"),
        ("[[rule]\n", "not valid TOML"),
    ],
)
def test_mapping_file_mistakes_are_named(tmp_path, text, message):
    path = tmp_path / "roles.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError, match=message.replace("[", r"\[").replace("]", r"\]")):
        RoleMapping.read(path)


def test_mapping_rules_first_match_wins_and_unverified_email_does_not_match(tmp_path):
    path = tmp_path / "roles.toml"
    path.write_text(MAPPING + '\n[[rule]]\nemail_domain = "gov.bc.ca"\nrole = "ministry"\n', encoding="utf-8")
    mapping = RoleMapping.read(path)
    assert mapping.actor_for({"email": "Ana@Gov.BC.ca"}).role == "ministry"
    assert mapping.actor_for({"email": "bo@gov.bc.ca", "email_verified": False}) is None
    actor = mapping.actor_for({"sub": "x", "email": "lee@bcit.ca", "groups": ["mcred-bcit"]})
    assert (actor.role, actor.institution, actor.email) == ("institution", "BCIT", "lee@bcit.ca")
    assert mapping.actor_for({"sub": "x", "groups": "mcred-ubc"}) is None
