"""The attempt log and the signed proof: domain rules, the HTTP edge, retention."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from recordings_policy import load_policy
from rooms.attempts import AttemptEvent, EventKind, Evidence, Failure, Step, assess, parse_event
from rooms.errors import InvalidAttemptEvent, ProofInvalid
from rooms.proof import PROOF_VALIDITY, ProofSigner, facts_for
from rooms.session import BenefitGroup, CounselSession
from storage import attempts, sessions, users
from storage.models import AttemptEventRow
from storage.purge import purge
from tests.conftest import PASSWORD, TEST_PASSWORDS, create_session, join_and_consent, login

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)


def _events(*items: tuple[EventKind, str]) -> list[AttemptEvent]:
    return [AttemptEvent(T0 + i * SECOND, "recipient", kind, detail) for i, (kind, detail) in enumerate(items)]


# ---- domain ------------------------------------------------------------------------


def test_reports_are_held_to_a_closed_vocabulary() -> None:
    assert parse_event("connection", "failed") == (EventKind.CONNECTION, "failed")
    assert parse_event("ice_gathered", "relay+host") == (EventKind.ICE_GATHERED, "host+relay")
    assert parse_event("ice_error", "701") == (EventKind.ICE_ERROR, "701")
    assert parse_event("media_error", "denied") == (EventKind.MEDIA_ERROR, "denied")
    assert parse_event("browser", "no_webrtc") == (EventKind.BROWSER, "no_webrtc")
    assert parse_event("browser", "insecure_context") == (EventKind.BROWSER, "insecure_context")
    assert parse_event("connection", "failed/interpreter") == (EventKind.CONNECTION, "failed/interpreter")
    assert parse_event("ice_gathered", "relay+host/caseworker") == (EventKind.ICE_GATHERED, "host+relay/caseworker")
    for kind, detail in [
        ("connection", "192.168.1.20"),
        ("ice_gathered", "candidate:1 1 udp 2122260223 10.0.0.1 5000 typ host"),
        ("ice_gathered", "host+host"),
        ("ice_error", "70a"),
        ("media_error", "Logitech C920"),
        ("admitted", ""),  # written by the server only
        ("proof_issued", ""),
        ("nonsense", ""),
        ("connection", None),
        ("connection", "failed/admin"),
        ("media_error", "denied/caseworker"),
        ("browser", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0)"),  # never a user agent
        ("browser", "no_webrtc/caseworker"),
    ]:
        with pytest.raises(InvalidAttemptEvent):
            parse_event(kind, detail)


def test_assessment_tells_failures_from_a_recovered_connection() -> None:
    never = assess(
        _events((EventKind.ADMITTED, ""), (EventKind.CONNECTION, "connecting"), (EventKind.CONNECTION, "timeout"))
    )
    assert never.failures == (Failure.NO_CONNECTION,)
    assert never.tried == (Step.ADMITTED, Step.CONNECTING)

    dropped = assess(_events((EventKind.CONNECTION, "connected"), (EventKind.CONNECTION, "failed")))
    assert dropped.failures == (Failure.DROPPED,)

    recovered = assess(
        _events(
            (EventKind.CONNECTION, "connected"), (EventKind.CONNECTION, "failed"), (EventKind.CONNECTION, "connected")
        )
    )
    assert not recovered.failed

    # In a call of three, the interpreter's link dropping is no failed appointment.
    three = assess(
        _events(
            (EventKind.CONNECTION, "connected/caseworker"),
            (EventKind.CONNECTION, "connected/interpreter"),
            (EventKind.CONNECTION, "failed/interpreter"),
        )
    )
    assert not three.failed and Step.CONNECTED in three.tried
    lost = assess(_events((EventKind.CONNECTION, "connected/caseworker"), (EventKind.CONNECTION, "failed/caseworker")))
    assert lost.failures == (Failure.DROPPED,)

    media = assess(_events((EventKind.MEDIA_ERROR, "denied"), (EventKind.CONNECTION, "connected")))
    assert media.failures == (Failure.MEDIA_UNAVAILABLE,)
    assert not assess([]).failed


def _by(role: str, *items: tuple[EventKind, str]) -> list[AttemptEvent]:
    return [AttemptEvent(T0 + i * SECOND, role, kind, detail) for i, (kind, detail) in enumerate(items)]


def test_a_failure_the_other_device_contradicts_is_no_failure() -> None:
    claim = _by(
        "recipient", (EventKind.CONNECTION, "connected/caseworker"), (EventKind.CONNECTION, "failed/caseworker")
    )
    seen_connected = _by("caseworker", (EventKind.CONNECTION, "connected/recipient"))
    relayed = _by("caseworker", (EventKind.RELAYED, "offer/recipient")) + _by(
        "recipient", (EventKind.RELAYED, "answer/caseworker")
    )
    forged = assess(claim, seen_connected, relayed)
    assert forged.failures == (Failure.DROPPED,) and forged.contradicted and not forged.failed
    # A lone media error is weighed the same way.
    media = assess(_by("recipient", (EventKind.MEDIA_ERROR, "denied")), seen_connected, relayed)
    assert media.contradicted and not media.failed
    # The call ending later (the forger's page closed) does not turn the claim true.
    later = seen_connected + [AttemptEvent(T0 + 60 * SECOND, "caseworker", EventKind.CONNECTION, "failed/recipient")]
    assert assess(claim, later, relayed).contradicted
    # The interpreter's link says nothing about the recipient's.
    interpreter = _by("interpreter", (EventKind.CONNECTION, "connected/recipient"))
    assert assess(claim, interpreter, relayed).failed

    # A genuine drop: the other device saw the link connected, then lose it too.
    lost = _by("caseworker", (EventKind.CONNECTION, "connected/recipient"), (EventKind.CONNECTION, "failed/recipient"))
    genuine = assess(claim, lost, relayed + _by("recipient", (EventKind.TURN_ISSUED, "")))
    assert genuine.failed and not genuine.one_sided
    assert genuine.evidence == (Evidence.OWN, Evidence.OTHER, Evidence.SET_UP, Evidence.TURN)

    # One-sided: the other page was closed; the server relayed an offer but never an answer.
    never = _by("recipient", (EventKind.ADMITTED, ""), (EventKind.CONNECTION, "timeout/caseworker"))
    alone = assess(never, [], _by("caseworker", (EventKind.RELAYED, "offer/recipient")))
    assert alone.failed and alone.one_sided
    assert alone.evidence == (Evidence.OWN, Evidence.NO_SET_UP)


def test_proof_verifies_and_anything_else_is_just_invalid() -> None:
    signer = ProofSigner(Ed25519PrivateKey.generate())
    assessment = assess(_events((EventKind.ADMITTED, ""), (EventKind.CONNECTION, "timeout")), [], [])
    assert assessment.evidence == (Evidence.OWN, Evidence.NO_SET_UP)
    facts = facts_for(assessment, now=T0, office="Jobcenter Köln", session_id=str(uuid.uuid4()), scheduled_at=None)
    code = signer.sign(facts)
    assert signer.verify(code, T0 + SECOND) == facts
    assert signer.verify(code, T0).evidence == (Evidence.OWN, Evidence.NO_SET_UP)
    assert signer.verify(code[:40] + "\n" + code[40:], T0) == facts  # typed from paper

    body, signature = code.split(".")
    for bad in [
        body[:-3] + ("x" if body[-3] != "x" else "y") + body[-2:] + "." + signature,  # altered facts
        body + "." + signature[:-1] + ("A" if signature[-1] != "A" else "B"),  # altered signature
        ProofSigner(Ed25519PrivateKey.generate()).sign(facts),  # forged: another key
        body,
        "",
        "a.b.c",
        code + "A" * 2000,
    ]:
        with pytest.raises(ProofInvalid):
            signer.verify(bad, T0)
    with pytest.raises(ProofInvalid):
        signer.verify(code, T0 + PROOF_VALIDITY)  # expired


# ---- HTTP edge ---------------------------------------------------------------------


async def test_reports_need_the_sessions_cookie_and_a_valid_event(new_client) -> None:  # type: ignore[no-untyped-def]
    caseworker = await new_client()
    csrf = await login(caseworker)
    session_id, join_path = await create_session(caseworker, csrf)
    recipient = await new_client()
    await join_and_consent(recipient, join_path)

    ok = await recipient.post(f"/api/attempts/{session_id}", json={"kind": "connection", "detail": "connecting"})
    assert ok.status == 200 and (await ok.json())["ok"] is True
    own = await caseworker.post(f"/api/attempts/{session_id}", json={"kind": "ice_gathered", "detail": "host"})
    assert own.status == 200

    bad = await recipient.post(f"/api/attempts/{session_id}", json={"kind": "connection", "detail": "10.1.2.3"})
    assert bad.status == 400
    stranger = await new_client()
    refused = await stranger.post(f"/api/attempts/{session_id}", json={"kind": "connection", "detail": "failed"})
    assert refused.status == 403
    foreign = await recipient.post(
        f"/api/attempts/{session_id}",
        json={"kind": "connection", "detail": "failed"},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status == 403

    # Nothing failed yet: no proof.
    early = await recipient.get(f"/s/{session_id}/proof")
    assert early.status == 409

    # Another caseworker does not see the log; the own caseworker sees both participants.
    other = await new_client()
    await login(other, "kollege")
    assert (await other.get(f"/sessions/{session_id}/attempts")).status == 404
    page = await caseworker.get(f"/sessions/{session_id}/attempts")
    html = await page.text()
    assert "Einladungslink geöffnet" in html and "Gefundene Verbindungswege: host" in html


async def test_media_failure_gives_a_proof_in_the_persons_language_and_german(new_client) -> None:  # type: ignore[no-untyped-def]
    caseworker = await new_client()
    csrf = await login(caseworker)
    session_id, join_path = await create_session(caseworker, csrf)
    recipient = await new_client()
    await join_and_consent(recipient, join_path)
    await recipient.post(f"/api/attempts/{session_id}", json={"kind": "media_error", "detail": "missing"})

    page = await recipient.get(f"/s/{session_id}/proof?lang=en")
    assert page.status == 200
    html = await page.text()
    assert "Proof of the connection attempt" in html and "Nachweis über den Verbindungsversuch" in html
    assert "Camera or microphone could not be used." in html
    assert "Kamera oder Mikrofon konnten nicht genutzt werden." in html
    code = html.split('id="proof-code">', 1)[1].split("<", 1)[0]
    # The caseworker's page reported nothing: the proof says it rests on one device alone.
    assert "The other device reported nothing about this connection" in html
    assert "Das andere Gerät hat zu dieser Verbindung nichts gemeldet" in html

    anyone = await new_client()
    valid = await (await anyone.get("/proof", params={"code": code})).text()
    assert 'id="proof-valid"' in valid and session_id[:8] in valid
    assert "Das andere Gerät hat zu dieser Verbindung nichts gemeldet" in valid
    forged = await (await anyone.get("/proof", params={"code": code.replace(".", ".A", 1)})).text()
    assert 'id="proof-invalid"' in forged and session_id[:8] not in forged


async def test_a_forged_failure_report_gets_no_proof(new_client) -> None:  # type: ignore[no-untyped-def]
    caseworker = await new_client()
    csrf = await login(caseworker)
    session_id, join_path = await create_session(caseworker, csrf)
    recipient = await new_client()
    await join_and_consent(recipient, join_path)
    api = f"/api/attempts/{session_id}"
    await caseworker.post(api, json={"kind": "connection", "detail": "connected/recipient"})
    await recipient.post(api, json={"kind": "connection", "detail": "connected/caseworker"})
    # The recipient's page claims the call broke; the caseworker's page saw it connected.
    forged = await recipient.post(api, json={"kind": "connection", "detail": "failed/caseworker"})
    assert forged.status == 200

    page = await recipient.get(f"/s/{session_id}/proof?lang=en")
    assert page.status == 409
    html = await page.text()
    assert "saw your video call connected" in html and 'id="way-out"' in html
    assert f"/s/{session_id}/fallback" in html and 'id="proof-code"' not in html
    assert 'id="proof-link"' not in await (await recipient.get(f"/s/{session_id}/ended")).text()

    # Once the caseworker's page loses the link too, the failure stands: a proof resting on both.
    await caseworker.post(api, json={"kind": "connection", "detail": "failed/recipient"})
    genuine = await recipient.get(f"/s/{session_id}/proof?lang=en")
    assert genuine.status == 200
    text = await genuine.text()
    assert "The reports of the other device in the same appointment, which agree." in text
    assert "reported nothing" not in text


@pytest.mark.usefixtures("database")
async def test_attempt_log_is_purged_with_the_session_metadata(settings, db, clock) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        account = await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD)
        session = CounselSession(
            id=str(uuid.uuid4()),
            caseworker_id=account.id,
            group=BenefitGroup.SGB2,
            language="de",
            invitation_jti=str(uuid.uuid4()),
            created_at=T0,
        )
        await sessions.add_session(s, session)
        participant, _ = await sessions.add_participant(s, session.id, "recipient", T0)
        await attempts.record(s, session.id, participant.id, "recipient", EventKind.LINK_OPENED, T0)
        await attempts.record(
            s, session.id, participant.id, "recipient", EventKind.CONNECTION, T0 + 60 * SECOND, "failed"
        )
    policy = load_policy(settings.policy_path)
    await purge(db, policy, T0 + timedelta(days=89))
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(AttemptEventRow)) == 2
    await purge(db, policy, T0 + timedelta(days=90, seconds=30))
    async with db() as s:
        assert await s.scalar(select(func.count()).select_from(AttemptEventRow)) == 0


async def test_a_browser_that_cannot_call_is_logged_by_class_and_told_to_the_caseworker(  # type: ignore[no-untyped-def]
    server, new_client
) -> None:
    from tests.sio import Peer, instance

    caseworker = await new_client()
    csrf = await login(caseworker)
    session_id, join_path = await create_session(caseworker, csrf)
    recipient = await new_client()
    await join_and_consent(recipient, join_path)
    call_page = Peer()
    try:
        auth = {"role": "caseworker", "session": session_id, "instance": instance()}
        await call_page.connect(server, caseworker, auth)
        await call_page.next("call.peers")
        assert (await (await caseworker.get(f"/api/attempts/{session_id}/browser")).json()) == {"reason": None}

        sent = await recipient.post(f"/api/attempts/{session_id}", json={"kind": "browser", "detail": "no_webrtc"})
        assert sent.status == 200
        told = await call_page.next("peer.unsupported")
        assert told["reason"] == "no_webrtc" and isinstance(told["participant"], str)
    finally:
        await call_page.close()
    # A call page opened later asks; another caseworker learns nothing; the recipient may not ask.
    assert (await (await caseworker.get(f"/api/attempts/{session_id}/browser")).json()) == {"reason": "no_webrtc"}
    other = await new_client()
    await login(other, "kollege")
    assert (await (await other.get(f"/api/attempts/{session_id}/browser")).json()) == {"reason": None}
    assert (await recipient.get(f"/api/attempts/{session_id}/browser")).url.path == "/login"
    page = await (await caseworker.get(f"/sessions/{session_id}/attempts")).text()
    assert "Browser kann keine Videoanrufe führen: no_webrtc" in page
    # A browser of that person that got further (a connection) ends it.
    await recipient.post(f"/api/attempts/{session_id}", json={"kind": "connection", "detail": "connecting"})
    assert (await (await caseworker.get(f"/api/attempts/{session_id}/browser")).json()) == {"reason": None}
