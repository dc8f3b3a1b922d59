"""Invitation tokens: the full bad-token matrix, in the signer and over HTTP."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rooms.errors import InvitationError, InvitationExpired, InvitationInvalid, InvitationNotYetValid
from rooms.invitations import InvitationSigner, invitation_window, load_or_create_key
from tests.conftest import create_session, login

ISS, AUD = "videoberatung", "videoberatung:join"
NOW = datetime.now(UTC)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def signer(key: Ed25519PrivateKey) -> InvitationSigner:
    return InvitationSigner(key, issuer=ISS, audience=AUD)


def _claims(**overrides: object) -> dict[str, object]:
    claims: dict[str, object] = {
        "iss": ISS,
        "aud": AUD,
        "typ": "vb-invitation",
        "sub": str(uuid.uuid4()),
        "jti": str(uuid.uuid4()),
        "nbf": int((NOW - timedelta(minutes=1)).timestamp()),
        "exp": int((NOW + timedelta(hours=1)).timestamp()),
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(key: Ed25519PrivateKey, signer: InvitationSigner, claims: dict[str, object], **headers: object) -> str:
    kid = jwt.get_unverified_header(signer.issue(str(uuid.uuid4()), str(uuid.uuid4()), NOW, NOW + timedelta(hours=1)))[
        "kid"
    ]
    return jwt.encode(claims, key, algorithm="EdDSA", headers={"kid": kid, **headers})


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_a_fresh_token_verifies(signer: InvitationSigner) -> None:
    sid, jti = str(uuid.uuid4()), str(uuid.uuid4())
    token = signer.issue(sid, jti, NOW - timedelta(seconds=5), NOW + timedelta(hours=1))
    invitation = signer.verify(token)
    assert (invitation.session_id, invitation.jti) == (sid, jti)


def test_expired(signer: InvitationSigner, key: Ed25519PrivateKey) -> None:
    claims = _claims(exp=int((NOW - timedelta(minutes=5)).timestamp()))
    token = _sign(key, signer, claims)
    with pytest.raises(InvitationExpired) as raised:
        signer.verify(token)
    # Genuine but late: the error page can still find the appointment's office.
    assert raised.value.session_id == claims["sub"]


def test_expired_forgery_names_no_session(signer: InvitationSigner) -> None:
    other = InvitationSigner(Ed25519PrivateKey.generate(), issuer=ISS, audience=AUD)
    token = other.issue(str(uuid.uuid4()), str(uuid.uuid4()), NOW - timedelta(hours=5), NOW - timedelta(hours=1))
    with pytest.raises(InvitationError) as raised:
        signer.verify(token)
    assert raised.value.session_id is None


def test_not_yet_valid(signer: InvitationSigner, key: Ed25519PrivateKey) -> None:
    token = _sign(key, signer, _claims(nbf=int((NOW + timedelta(hours=1)).timestamp())))
    with pytest.raises(InvitationNotYetValid):
        signer.verify(token)


@pytest.mark.parametrize("missing", ["exp", "nbf", "iss", "aud", "typ", "jti", "sub"])
def test_missing_claim(signer: InvitationSigner, key: Ed25519PrivateKey, missing: str) -> None:
    claims = _claims()
    del claims[missing]
    with pytest.raises(InvitationInvalid):
        signer.verify(_sign(key, signer, claims))


@pytest.mark.parametrize(
    "claim,value",
    [
        ("aud", "videoberatung:other"),
        ("aud", ["videoberatung:join", "x"]),
        ("iss", "evil"),
        ("iss", "videoberatun"),  # a prefix of the real issuer
        ("iss", "videoberatung-evil"),  # the real issuer as a prefix
        ("typ", "access"),
        ("sub", "not-a-uuid"),
        ("jti", 12),
    ],
)
def test_wrong_claim(signer: InvitationSigner, key: Ed25519PrivateKey, claim: str, value: object) -> None:
    with pytest.raises(InvitationInvalid):
        signer.verify(_sign(key, signer, _claims(**{claim: value})))


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
def test_alg_none(signer: InvitationSigner, alg: str) -> None:
    token = f"{_b64({'alg': alg, 'typ': 'JWT'})}.{_b64(_claims())}."
    with pytest.raises(InvitationInvalid):
        signer.verify(token)


def test_hs256_with_public_key_as_secret(signer: InvitationSigner, key: Ed25519PrivateKey) -> None:
    """Algorithm confusion: an HMAC token keyed with public material must fail."""
    token = f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{_b64(_claims())}.c2ln"
    with pytest.raises(InvitationInvalid):
        signer.verify(token)


def test_altered_payload(signer: InvitationSigner) -> None:
    token = signer.issue(str(uuid.uuid4()), str(uuid.uuid4()), NOW, NOW + timedelta(hours=1))
    header, _payload, signature = token.split(".")
    forged = f"{header}.{_b64(_claims())}.{signature}"
    with pytest.raises(InvitationInvalid):
        signer.verify(forged)


def test_foreign_key(signer: InvitationSigner) -> None:
    other = InvitationSigner(Ed25519PrivateKey.generate(), issuer=ISS, audience=AUD)
    token = other.issue(str(uuid.uuid4()), str(uuid.uuid4()), NOW, NOW + timedelta(hours=1))
    with pytest.raises(InvitationInvalid):
        signer.verify(token)


def test_unknown_kid(signer: InvitationSigner, key: Ed25519PrivateKey) -> None:
    token = jwt.encode(_claims(), key, algorithm="EdDSA", headers={"kid": "unknown"})
    with pytest.raises(InvitationInvalid):
        signer.verify(token)


@pytest.mark.parametrize("header", ["jku", "jwk", "x5u"])
def test_key_location_headers_refused(signer: InvitationSigner, key: Ed25519PrivateKey, header: str) -> None:
    token = _sign(key, signer, _claims(), **{header: "https://attacker.example/keys"})
    with pytest.raises(InvitationInvalid):
        signer.verify(token)


@pytest.mark.parametrize("token", ["", "garbage", "a.b", "a.b.c", "x" * 5000])
def test_malformed(signer: InvitationSigner, token: str) -> None:
    with pytest.raises(InvitationInvalid):
        signer.verify(token)


def test_window_is_bounded_around_the_scheduled_time() -> None:
    scheduled = NOW + timedelta(days=2)
    nbf, exp = invitation_window(NOW, scheduled)
    assert nbf == scheduled - timedelta(minutes=30)
    assert exp == scheduled + timedelta(hours=3)
    nbf, exp = invitation_window(NOW, None)
    assert nbf == NOW and exp - nbf <= timedelta(hours=12)


def test_key_is_created_once_with_private_permissions(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    first = load_or_create_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_or_create_key(path)
    assert first.private_bytes_raw() == again.private_bytes_raw()


def test_nodes_starting_together_agree_on_one_key(tmp_path: Path) -> None:
    # Real processes racing for a fresh instance folder, as nodes of a cluster do.
    path = tmp_path / "instance" / "k.pem"
    script = (
        "import sys; from pathlib import Path; from rooms.invitations import load_or_create_key; "
        "sys.stdout.write(load_or_create_key(Path(sys.argv[1])).private_bytes_raw().hex())"
    )
    racers = [subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE) for _ in range(8)]
    keys = {racer.communicate(timeout=60)[0].decode() for racer in racers}
    assert all(racer.returncode == 0 for racer in racers)
    assert keys == {load_or_create_key(path).private_bytes_raw().hex()}
    assert [p.name for p in path.parent.iterdir()] == ["k.pem"]  # no drafts left behind


# ---------------------------------------------------------------- over HTTP


async def test_bad_tokens_get_german_pages_with_fitting_status(client, settings) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, join_path = await create_session(client, csrf)
    good = join_path.rsplit("/", 1)[1]
    header, payload, signature = good.split(".")
    cases = {
        f"{header}.{_b64(_claims(sub=session_id))}.{signature}": 400,  # altered
        f"{_b64({'alg': 'none'})}.{_b64(_claims(sub=session_id))}.": 400,
        "not-a-token": 400,
    }
    for token, status in cases.items():
        resp = await client.get(f"/join/{token}", allow_redirects=False)
        assert resp.status == status
        html = await resp.text()
        assert "Dieser Einladungslink ist ungültig" in html
        assert "Traceback" not in html


async def test_expired_and_early_links_over_http(client, settings) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).astimezone().strftime("%Y-%m-%dT10:00")
    _sid, join_path = await create_session(client, csrf, scheduled_at=tomorrow)
    early = await client.get(join_path, allow_redirects=False)
    assert early.status == 403
    assert "gilt noch nicht" in await early.text()

    session_id, good = await create_session(client, csrf)
    jti = jwt.decode(good.rsplit("/", 1)[1], options={"verify_signature": False})["jti"]
    app_signer = InvitationSigner(load_or_create_key(settings.signing_key_path), issuer=ISS, audience=AUD)
    expired = app_signer.issue(session_id, jti, NOW - timedelta(hours=5), NOW - timedelta(hours=1))
    late = await client.get(f"/join/{expired}", allow_redirects=False)
    assert late.status == 410
    assert "abgelaufen" in await late.text()


async def test_revoked_link_stops_working(client, new_client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, old = await create_session(client, csrf)
    resp = await client.post(f"/sessions/{session_id}/revoke", data={"csrf_token": csrf}, allow_redirects=False)
    assert resp.status == 303
    recipient = await new_client()
    resp = await recipient.get(old, allow_redirects=False)
    assert resp.status == 410
    assert "zurückgezogen" in await resp.text()
