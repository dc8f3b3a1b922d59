"""Signalling passes: a connect with one reads no database, and every change behind one
revokes it — on this node at once, on every other node through the table within 1 s.

Real SQLite and PostgreSQL, a real app on a real port, real socket.io clients; two real
``serve`` processes for the cross-node case.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import socketio
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from consent.records import ALL_SCOPES
from rooms.session import Admission, BenefitGroup, CounselSession, Outcome, SessionState
from storage import accounts, consents, grants, sessions, third, users
from storage.changes import changed
from storage.db import create_engine, sessionmaker_for
from storage.grant_passes import Passes
from storage.models import ParticipantRow, PassRevocationRow
from storage.revocations import MARGIN_SECONDS, STALE_AFTER_SECONDS, RevocationFeed, Revocations
from storage.sessions import hash_secret
from storage.users import hash_token
from tests.conftest import PASSWORD, create_session, csrf_from, join_and_consent, login
from tests.nodes import Browser
from tests.sio import Peer, instance
from tests.test_multinode import Cluster, _caseworker, _next_update_with, cluster
from web.cookies import PARTICIPANT_PASS_COOKIE, STAFF_PASS_COOKIE
from web.keys import DB, ENGINE, REVOCATIONS
from web.settings import Settings

__all__ = ["cluster"]  # the two-node fixture, re-used from the multi-node tests

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
KEY = b"k" * 32


class Tick:
    """A settable epoch clock."""

    def __init__(self, at: float = 1_000_000.0) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


def _recipient_grant(**changes: Any) -> grants.RecipientGrant:
    values: dict[str, Any] = {
        "participant_id": str(uuid.uuid4()),
        "session_id": str(uuid.uuid4()),
        "caseworker_id": 7,
        "admission": Admission.WAITING,
        "session_state": SessionState.OPEN,
        "consented": True,
        "role": "recipient",
    }
    return grants.RecipientGrant(**{**values, **changes})


# ---------------------------------------------------------------- the pass itself


def test_a_pass_reads_back_only_with_its_key_its_credential_and_in_time() -> None:
    grant = _recipient_grant(role="interpreter", admission=Admission.ADMITTED)
    secret_hash = hash_secret("the-secret")
    real = Passes(KEY, lifetime=600)
    token = real.mint_recipient(grant, secret_hash, real.now())

    found = real.read_recipient(token, grant.participant_id, secret_hash)
    assert found is not None and found.grant == grant
    assert real.read_recipient(token, grant.participant_id, hash_secret("another secret")) is None  # moved
    assert real.read_recipient(token, str(uuid.uuid4()), secret_hash) is None
    assert Passes(b"x" * 32).read_recipient(token, grant.participant_id, secret_hash) is None  # other key
    head, body, signature = token.split(".")
    flipped = "A" if signature[0] != "A" else "B"
    assert real.read_recipient(f"{head}.{body}.{flipped}{signature[1:]}", grant.participant_id, secret_hash) is None
    assert real.read_recipient(token + "x" * 2000, grant.participant_id, secret_hash) is None
    assert real.read_staff(token, secret_hash) is None  # a participant's pass is no staff pass
    old = Passes(KEY, lifetime=-1)
    expired = old.mint_recipient(grant, secret_hash, old.now())
    assert real.read_recipient(expired, grant.participant_id, secret_hash) is None


def test_a_staff_pass_names_its_session_and_its_login() -> None:
    passes = Passes(KEY)
    grant = grants.StaffGrant(3, "caseworker", SessionState.IN_CALL, str(uuid.uuid4()), NOW + timedelta(hours=8))
    session_id = str(uuid.uuid4())
    token_hash = hash_token("login-token")
    minted = passes.now()
    token = passes.mint_staff(grant, session_id, token_hash, minted)
    found = passes.read_staff(token, token_hash)
    assert found is not None and found.grant == grant and found.session_id == session_id
    assert set(found.keys(token_hash)) == {"a:3", f"t:{token_hash[:22]}", f"s:{session_id}"}
    assert passes.read_staff(token, hash_token("another login")) is None
    dashboard = passes.read_staff(passes.mint_staff(grant, None, token_hash, minted), token_hash)
    assert dashboard is not None and dashboard.session_id is None and len(dashboard.keys(token_hash)) == 2


def test_revocations_distrust_what_was_minted_before_a_change() -> None:
    tick = Tick()
    revocations = Revocations(tick, fed=False)
    started = tick.at
    tick.at += 10
    minted = tick.at
    assert revocations.trusted(["p:1", "s:1"], minted)
    assert not revocations.trusted(["p:1"], started - 5)  # minted before the node started
    tick.at += 5
    revocations.heard(["p:1"], tick.at)
    assert not revocations.trusted(["p:1", "s:1"], minted)
    assert revocations.trusted(["p:2", "s:2"], minted)  # somebody else's
    assert not revocations.trusted(["p:1"], tick.at)
    assert revocations.trusted(["p:1"], tick.at + 0.001)  # minted after: it read the change
    revocations.heard(["*"], tick.at + 100)  # a bulk change that named no keys
    assert not revocations.trusted(["p:9"], tick.at + 50)


def test_a_node_whose_feed_stopped_trusts_no_pass() -> None:
    tick = Tick()
    revocations = Revocations(tick)
    tick.at += 2
    minted = tick.at
    revocations.up_to_date(tick.at)
    assert revocations.trusted(["p:1"], minted)
    tick.at += STALE_AFTER_SECONDS + 1
    assert not revocations.trusted(["p:1"], minted)
    revocations.up_to_date(tick.at)
    assert revocations.trusted(["p:1"], minted)


def test_revocations_forget_what_no_live_pass_can_rest_on() -> None:
    tick = Tick()
    revocations = Revocations(tick, fed=False)
    for i in range(100):
        revocations.heard([f"p:{i}"], tick.at)
    tick.at += 3600
    revocations.heard(["p:new"], tick.at)
    assert len(revocations) == 1


# ---------------------------------------------------------------- what revokes, on both databases


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    made = create_engine(settings.database_url, schema=settings.database_schema)
    yield made
    await made.dispose()


async def _fixture_session(maker: Any) -> tuple[int, str, str, str, str, str]:
    """(account, login token, session, recipient, its secret, third person) on a fresh session."""
    async with maker.begin() as db:
        account = await users.authenticate(db, "fachkraft", PASSWORD)
        assert account is not None
        token, _ = await users.open_login_session(db, account, NOW)
        session = CounselSession(
            id=str(uuid.uuid4()),
            caseworker_id=account.id,
            group=BenefitGroup.SGB3,
            language="de",
            invitation_jti=str(uuid.uuid4()),
            created_at=NOW,
        )
        await sessions.add_session(db, session)
        recipient, secret = await sessions.add_participant(db, session.id, "recipient", NOW, via_link=True)
        interpreter = await third.add_third(db, session.id, "interpreter", NOW)
    return account.id, token, session.id, recipient.id, secret, interpreter.id


@pytest.mark.usefixtures("database")
async def test_every_change_behind_a_pass_revokes_it(engine: AsyncEngine) -> None:
    """Each storage write a connect's grant rests on, committed through the app's sessions,
    revokes the right key at once; the same keys reach another node through the table."""
    here = Revocations(fed=False)
    maker = sessionmaker_for(engine, here)
    account_id, token, session_id, recipient, _secret, interpreter = await _fixture_session(maker)
    elsewhere = Revocations()
    feed = RevocationFeed(sessionmaker_for(engine), elsewhere)

    async def revokes(keys: list[str], change: Any) -> None:
        before = {k: here.changed_at(k) or 0.0 for k in keys}
        started = time.time()
        async with maker.begin() as db:
            await change(db)
        for key in keys:
            at = here.changed_at(key)
            assert at is not None and at > before[key] and at >= started, key
            # A pass minted just before the change is no longer trusted.
            assert not here.trusted([key], started), key
        await feed.read()  # another node, reading the table
        for key in keys:
            at = elsewhere.changed_at(key)
            # Stamped before the commit there, so with a margin for the commit and the clocks.
            assert at is not None and at >= started + MARGIN_SECONDS, key
            assert not elsewhere.trusted([key], started), key

    async def consent(db: Any) -> None:
        await consents.record_consent(
            db,
            participant_id=recipient,
            session_id=session_id,
            role="recipient",
            now=NOW,
            text_version="2",
            text_sha256="0" * 64,
            language="de",
            scopes=ALL_SCOPES,
        )

    async def end(db: Any) -> None:
        session = await sessions.get_session(db, session_id)
        session.end(Outcome.VIDEO, NOW)
        await sessions.save_session(db, session)

    await revokes([f"p:{recipient}"], consent)
    await revokes(
        [f"p:{recipient}", f"s:{session_id}"],
        lambda db: sessions.decide_admission(db, session_id, recipient, Admission.ADMITTED),
    )
    await revokes([f"p:{interpreter}"], lambda db: sessions.set_admission(db, interpreter, Admission.DECLINED))
    await revokes([f"p:{interpreter}"], lambda db: third.claim(db, interpreter))
    await revokes([f"p:{recipient}"], lambda db: sessions.move_participant(db, recipient, NOW))
    await revokes([f"p:{recipient}"], lambda db: consents.withdraw_consent(db, recipient, NOW))
    await revokes([f"s:{session_id}"], end)
    await revokes([f"t:{hash_token(token)[:22]}"], lambda db: users.close_login_session(db, token))
    await revokes([f"a:{account_id}"], lambda db: accounts.set_active(db, account_id, False))
    await revokes([f"a:{account_id}"], lambda db: accounts.assign(db, account_id, "evaluator", None))
    # A bulk write nobody named revokes everything minted before it.
    await revokes(
        ["*"],
        lambda db: db.execute(update(ParticipantRow).where(ParticipantRow.id == interpreter).values(moved_at=NOW)),
    )


@pytest.mark.usefixtures("database")
async def test_a_rolled_back_change_revokes_nothing(engine: AsyncEngine) -> None:
    here = Revocations(fed=False)
    maker = sessionmaker_for(engine, here)
    _account, _token, _session_id, recipient, _secret, _third = await _fixture_session(maker)
    before = here.changed_at(f"p:{recipient}")
    async with maker() as db:
        rows_before = len((await db.execute(select(PassRevocationRow.id))).all())
    with pytest.raises(RuntimeError):
        async with maker.begin() as db:
            await consents.withdraw_consent(db, recipient, NOW)
            raise RuntimeError("changed my mind")
    assert here.changed_at(f"p:{recipient}") == before
    async with maker() as db:
        assert len((await db.execute(select(PassRevocationRow.id))).all()) == rows_before


@pytest.mark.usefixtures("database")
async def test_the_feed_applies_each_row_once(engine: AsyncEngine) -> None:
    """Reads overlap (a change stamped earlier may commit later), but a row is applied
    once: a bulk commit naming thousands of keys must not be parsed four times a second."""
    maker = sessionmaker_for(engine)
    async with maker.begin() as db:
        changed(db, *(f"p:{i}" for i in range(5000)))
    elsewhere = Revocations()
    feed = RevocationFeed(sessionmaker_for(engine), elsewhere)
    assert await feed.read() == 1 and elsewhere.changed_at("p:4999") is not None
    assert await feed.read() == 0
    async with maker.begin() as db:
        changed(db, "s:next")
    assert await feed.read() == 1 and elsewhere.changed_at("s:next") is not None
    assert await feed.read() == 0


# ---------------------------------------------------------------- the connect, in the app


@contextmanager
def grant_queries(engine: AsyncEngine) -> Iterator[list[str]]:
    """The grant queries run on ``engine`` meanwhile (login or participant lookups by secret)."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if re.search(r"\bsecret_hash\b|\blogin_sessions\b", statement):
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


@pytest.fixture
async def sockets() -> AsyncIterator[list[Peer]]:
    made: list[Peer] = []
    yield made
    for peer in made:
        await peer.close()


async def _connect(
    sockets: list[Peer], server: TestServer, browser: TestClient, auth: dict[str, Any]
) -> tuple[Peer | None, str | None]:
    """(connected peer, None), or (None, the refusal's code)."""
    peer = Peer()
    refusals: list[Any] = []
    peer.sio.on("connect_error", lambda data=None: refusals.append(data))
    try:
        await peer.connect(server, browser, auth)
    except socketio.exceptions.ConnectionError:
        await peer.close()
        return None, _code(refusals)
    sockets.append(peer)
    return peer, None


def _code(found: Any) -> str | None:
    """The refusal's ``code``, wherever python-socketio nested it."""
    if isinstance(found, dict):
        if isinstance(found.get("code"), str):
            return str(found["code"])
        found = list(found.values())
    if isinstance(found, list | tuple):
        for item in found:
            if (code := _code(item)) is not None:
                return code
    return None


def _cookie(browser: TestClient, name: str) -> str | None:
    for cookie in browser.session.cookie_jar:
        if cookie.key == name:
            assert cookie["path"] == "/socket.io/" and cookie["httponly"] and cookie["samesite"] == "Strict"
            return cookie.value
    return None


async def test_a_connect_with_a_pass_reads_no_database(app, server, new_client, sockets) -> None:  # type: ignore[no-untyped-def]
    cw = await new_client()
    csrf = await login(cw)
    assert _cookie(cw, STAFF_PASS_COOKIE)  # the dashboard's page handed one over
    session_id, join_path = await create_session(cw, csrf)
    rc = await new_client()
    await join_and_consent(rc, join_path)
    assert (await rc.get(f"/s/{session_id}/wait")).status == 200
    assert _cookie(rc, PARTICIPANT_PASS_COOKIE)

    engine = app[ENGINE]
    with grant_queries(engine) as seen:
        dashboard, _ = await _connect(sockets, server, cw, {"role": "dashboard"})
        waiting, _ = await _connect(
            sockets, server, rc, {"role": "recipient", "session": session_id, "instance": instance(), "page": "wait"}
        )
    assert dashboard is not None and waiting is not None
    assert seen == []
    update_ = await dashboard.next("lobby.update")
    while not update_["waiting"]:
        update_ = await dashboard.next("lobby.update")
    participant = update_["waiting"][0]["participant"]
    assert await dashboard.call("lobby.admit", {"session": session_id, "participant": participant}) == {
        "ok": True,
        "role": "recipient",
    }
    # The call pages, right after the admission: each mints its own pass, and the two
    # connects read no grant either.
    assert (await cw.get(f"/sessions/{session_id}/call")).status == 200
    assert (await rc.get(f"/s/{session_id}/call")).status == 200
    with grant_queries(engine) as seen:
        caseworker, _ = await _connect(
            sockets, server, cw, {"role": "caseworker", "session": session_id, "instance": instance()}
        )
        recipient, _ = await _connect(
            sockets, server, rc, {"role": "recipient", "session": session_id, "instance": instance()}
        )
    assert caseworker is not None and recipient is not None
    assert seen == []
    assert [p["role"] for p in (await recipient.next("call.peers"))["peers"]] == ["caseworker"]


async def test_without_a_pass_the_connect_asks_the_database(app, server, new_client, sockets) -> None:  # type: ignore[no-untyped-def]
    cw = await new_client()
    await login(cw)
    cw.session.cookie_jar.clear(lambda cookie: cookie.key == STAFF_PASS_COOKIE)
    with grant_queries(app[ENGINE]) as seen:
        dashboard, _ = await _connect(sockets, server, cw, {"role": "dashboard"})
    assert dashboard is not None and len(seen) == 1


async def _waiting(new_client: Any, server: TestServer, sockets: list[Peer]) -> dict[str, Any]:
    """A caseworker's dashboard and a recipient whose waiting-room page has a pass."""
    cw = await new_client()
    csrf = await login(cw)
    session_id, join_path = await create_session(cw, csrf)
    rc = await new_client()
    await join_and_consent(rc, join_path)
    assert (await rc.get(f"/s/{session_id}/wait")).status == 200
    dashboard, _ = await _connect(sockets, server, cw, {"role": "dashboard"})
    assert dashboard is not None
    auth = {"role": "recipient", "session": session_id, "instance": instance(), "page": "wait"}
    waiting, _ = await _connect(sockets, server, rc, auth)
    assert waiting is not None
    update_ = await dashboard.next("lobby.update")
    while not update_["waiting"]:
        update_ = await dashboard.next("lobby.update")
    return {
        "cw": cw,
        "csrf": csrf,
        "rc": rc,
        "session": session_id,
        "join": join_path,
        "dashboard": dashboard,
        "waiting": waiting,
        "auth": auth,
        "participant": update_["waiting"][0]["participant"],
    }


async def test_a_decline_revokes_the_waiting_pass_at_once(server, new_client, sockets) -> None:  # type: ignore[no-untyped-def]
    w = await _waiting(new_client, server, sockets)
    assert await w["dashboard"].call("lobby.decline", {"session": w["session"], "participant": w["participant"]}) == {
        "ok": True
    }
    await w["waiting"].next("lobby.declined")
    # The same page reconnects with the pass it was given before: the database says no.
    peer, code = await _connect(sockets, server, w["rc"], w["auth"])
    assert peer is None and code == "declined"


async def test_a_move_withdrawal_end_and_logout_each_revoke(server, new_client, sockets) -> None:  # type: ignore[no-untyped-def]
    w = await _waiting(new_client, server, sockets)
    # Continue on another device: the old device's cookie and pass open nothing.
    other = await new_client()
    page = await other.get(w["join"], allow_redirects=False)
    assert page.status == 409
    moved = await other.post(w["join"], data={"csrf_token": csrf_from(await page.text())}, allow_redirects=False)
    assert moved.status == 303
    peer, code = await _connect(sockets, server, w["rc"], w["auth"])
    assert peer is None and code == "unauthenticated"

    # Withdrawal on the new device's waiting page.
    assert (await other.get(f"/s/{w['session']}/wait")).status == 200
    assert (await other.get(f"/s/{w['session']}/wait")).status == 200
    auth = {**w["auth"], "instance": instance()}
    waiting, _ = await _connect(sockets, server, other, auth)
    assert waiting is not None
    assert await waiting.call("consent.withdraw", {}) == {"ok": True}
    peer, code = await _connect(sockets, server, other, auth)
    assert peer is None and code == "consent_required"

    # The session ends: the caseworker's call pass for it is void.
    assert (await w["cw"].get(f"/sessions/{w['session']}/call")).status == 200
    assert (await w["cw"].get(f"/sessions/{w['session']}/call")).status == 200
    call_auth = {"role": "caseworker", "session": w["session"], "instance": instance()}
    caseworker, _ = await _connect(sockets, server, w["cw"], call_auth)
    assert caseworker is not None
    ended = await w["cw"].post(
        f"/sessions/{w['session']}/outcome",
        data={"outcome": "phone", "csrf_token": w["csrf"]},
        allow_redirects=False,
    )
    assert ended.status == 303
    peer, code = await _connect(sockets, server, w["cw"], {**call_auth, "instance": instance()})
    assert peer is None and code == "forbidden"

    # Logout: the dashboard's pass dies with the login.
    jar_before = list(w["cw"].session.cookie_jar)
    assert (await w["cw"].post("/logout", data={"csrf_token": w["csrf"]}, allow_redirects=False)).status == 303
    w["cw"].session.cookie_jar.update_cookies({c.key: c.value for c in jar_before})  # a copy kept by an attacker
    peer, code = await _connect(sockets, server, w["cw"], {"role": "dashboard"})
    assert peer is None and code == "unauthenticated"


async def test_a_deactivation_from_the_command_line_reaches_the_node(
    app, server, new_client, sockets, settings
) -> None:  # type: ignore[no-untyped-def]
    """Another process (the admin command line) writes through its own engine: the node
    reads the revocation from the table within the poll interval, no message needed."""
    cw = await new_client()
    await login(cw)
    other = create_engine(settings.database_url, schema=settings.database_schema)
    try:
        async with sessionmaker_for(other)() as db:
            [account] = [u for u in await accounts.list_users(db, None) if u.username == "fachkraft"]
        heard = asyncio.ensure_future(app[REVOCATIONS].heard_of(f"a:{account.id}"))
        async with sessionmaker_for(other).begin() as db:
            await accounts.set_active(db, account.id, False)
    finally:
        await other.dispose()
    # The node's feed reads the row: the requirement is a bound, 1 s.
    await asyncio.wait_for(heard, 1.0)
    peer, code = await _connect(sockets, server, cw, {"role": "dashboard"})
    assert peer is None and code == "unauthenticated"


async def test_the_table_keeps_no_names_and_forgets(app, server, new_client) -> None:  # type: ignore[no-untyped-def]
    cw = await new_client()
    csrf = await login(cw)
    _session_id, join_path = await create_session(cw, csrf)
    await join_and_consent(await new_client(), join_path)  # a consent: p:<participant>
    assert (await cw.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)).status == 303
    async with app[DB].begin() as db:
        await db.execute(insert(PassRevocationRow).values(at=time.time() - 7200, keys="p:old"))
    async with app[ENGINE].connect() as conn:
        rows = (await conn.execute(text("SELECT keys FROM pass_revocations"))).scalars().all()
    assert {k.split(":")[0] for row in rows for k in row.split()} >= {"p", "t"}
    assert all(re.fullmatch(r"[psat]:[0-9a-z-]+", k) for row in rows for k in row.split())
    assert not any("fachkraft" in row or "Beispiel" in row for row in rows)
    # A node's feed deletes what no live pass can rest on (older than a pass lives).
    await RevocationFeed(app[DB], Revocations()).read()
    async with app[ENGINE].connect() as conn:
        left = (await conn.execute(text("SELECT keys FROM pass_revocations"))).scalars().all()
    assert "p:old" not in left and len(left) == len(rows) - 1


# ---------------------------------------------------------------- two nodes


async def _passes_used(browser: Browser) -> float:
    resp = await browser.get("/metrics")
    assert resp.status == 200
    for family in text_string_to_metric_families(await resp.text()):
        for sample in family.samples:
            if sample.name == "videoberatung_connect_grants_total" and sample.labels.get("source") == "pass":
                return float(sample.value)
    return 0.0


@pytest.mark.redis
async def test_a_decline_on_one_node_voids_the_pass_on_the_other_within_a_second(cluster: Cluster) -> None:
    """The recipient's page and pass come from node A; the caseworker declines on node B.
    A's next connect with that pass is refused within 1 s (A reads B's commit from the table)."""
    cw, csrf, dashboard = await _caseworker(cluster, cluster.b)
    session_id, join_path = await create_session(cw, csrf)  # type: ignore[arg-type]
    rc = cluster.browser(cluster.a)
    await join_and_consent(rc, join_path)  # type: ignore[arg-type]
    assert (await rc.get(f"/s/{session_id}/wait")).status == 200
    auth = {"role": "recipient", "session": session_id, "instance": instance(), "page": "wait"}
    waiting = cluster.client(rc, auth)
    await waiting.connect(cluster.a.url)
    await waiting.next("lobby.position")
    probe = cluster.browser(cluster.a)
    assert await _passes_used(probe) == 1  # the connect on A was decided from the pass
    [entry] = await _next_update_with(dashboard, session_id, 1)
    ack = await dashboard.call("lobby.decline", {"session": session_id, "participant": entry["participant"]})
    assert ack == {"ok": True}
    declined_at = time.monotonic()
    await waiting.next("lobby.declined")
    # Node A is another process: nothing tells the test when its feed has read B's commit.
    # Each attempt waits for A's answer to a real connect, back to back, within the 1 s bound.
    while True:
        again = cluster.client(rc, {**auth, "instance": instance()})
        try:
            await again.connect(cluster.a.url)
        except socketio.exceptions.ConnectionError:
            break
        await again.close()
        assert time.monotonic() - declined_at < 1.0, "node A still let the declined pass in after 1 s"
    assert time.monotonic() - declined_at < 1.0
