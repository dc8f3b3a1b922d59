"""The end page's socket (page "ended"): it hears session.ended and then gets the link."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
import socketio

from rooms.session import Admission
from storage import sessions
from tests.conftest import create_session, join_and_consent, login
from tests.recipients import extra_recipient
from tests.sio import Peer, instance
from web.keys import DB


@pytest.fixture
async def peers() -> AsyncIterator[list[Peer]]:
    made: list[Peer] = []
    yield made
    for peer in made:
        await peer.close()


async def test_end_page_hears_the_outcome_and_fetches_its_link(app, server, new_client, peers, settings) -> None:  # type: ignore[no-untyped-def]
    caseworker = await new_client()
    csrf = await login(caseworker)
    session_id, join_path = await create_session(caseworker, csrf)
    admitted, waiting = await new_client(), await new_client()
    await join_and_consent(admitted, join_path)
    # A second, never admitted participant (the link makes one per session: minted in storage).
    url = str(server.make_url("/"))
    await extra_recipient(waiting, url, settings.database_url, settings.database_schema, session_id)
    async with app[DB].begin() as db:
        first = next(p for p in await sessions.participants_of(db, session_id) if p.role == "recipient")
        await sessions.set_admission(db, first.id, Admission.ADMITTED)
    # Which browser is the admitted one: the participant cookie names it.
    if first.id not in str(admitted.session.cookie_jar.filter_cookies(server.make_url("/"))):
        admitted, waiting = waiting, admitted
    auth = {"role": "recipient", "session": session_id, "page": "ended", "instance": instance()}
    # Only participants of the call get feedback.
    outsider = Peer()
    peers.append(outsider)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await outsider.connect(server, waiting, auth)
    page = Peer()
    peers.append(page)
    await page.connect(server, admitted, auth)
    # Before the outcome: no link yet, the page is told to wait.
    body = await (await admitted.get(f"/s/{session_id}/ended/link")).json()
    assert body == {"settled": False, "url": None}
    html = await (await admitted.get(f"/s/{session_id}/ended")).text()
    assert 'id="feedback-pending"' in html and "js/ended" in html
    resp = await caseworker.post(
        f"/sessions/{session_id}/outcome", data={"outcome": "video", "csrf_token": csrf}, allow_redirects=False
    )
    assert resp.status == 303
    assert (await page.next("session.ended"))["outcome"] == "video"
    body = await (await admitted.get(f"/s/{session_id}/ended/link")).json()
    assert body["settled"] is True and re.fullmatch(r"/feedback/t/[A-Za-z0-9_-]{43}", body["url"])
    # The same link again (cookie), on the page and from the endpoint.
    assert (await (await admitted.get(f"/s/{session_id}/ended/link")).json())["url"] == body["url"]
    assert body["url"] in await (await admitted.get(f"/s/{session_id}/ended")).text()
    # A late end page is refused with session_closed, which it treats as "fetch the link".
    late = Peer()
    peers.append(late)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await late.connect(server, admitted, auth)
