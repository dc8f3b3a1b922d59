"""More than one waiting recipient in a session.

The invitation link makes exactly one participant per session (docs/security.md: a
second device moves it, never a second one). Tests of the waiting room's queue, which
serves any number (later kinds of participant, such as a companion, wait there too), mint
the others in storage and give consent through the real pages.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from yarl import URL

from storage import sessions
from storage.db import create_engine, sessionmaker_for
from tests.conftest import csrf_from
from web.cookies import PARTICIPANT_COOKIE, participant_cookie


async def extra_recipient(
    client: Any, base_url: str, database_url: str, schema: str | None, session_id: str, role: str = "recipient"
) -> str:
    """A further participant (a recipient, or ``role``) of ``session_id`` in ``client``'s
    cookie jar, with consent given through the consent page; its id."""
    engine = create_engine(database_url, schema=schema or None)
    try:
        async with sessionmaker_for(engine).begin() as db:
            participant, secret = await sessions.add_participant(db, session_id, role, datetime.now(UTC))
    finally:
        await engine.dispose()
    client.session.cookie_jar.update_cookies(
        {PARTICIPANT_COOKIE: participant_cookie(participant.id, secret)}, URL(base_url)
    )
    page = await client.get(f"/s/{session_id}/consent")
    html = await page.text()
    version = re.search(r'name="version" value="([^"]+)"', html)
    assert version, html[:200]
    resp = await client.post(
        f"/s/{session_id}/consent",
        data={
            "csrf_token": csrf_from(html),
            "agree": "yes",
            "action": "agree",
            "version": version.group(1),
            "language": "de",
        },
        allow_redirects=False,
    )
    assert resp.status == 303, await resp.text()
    return participant.id
