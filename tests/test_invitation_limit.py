"""Invitation sending is limited per caseworker per hour, on every node alike (issue 27)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import REDIS_URL, csrf_from, login
from tests.test_invitation_delivery import OK, _session_page, gateway, smtp  # noqa: F401 (fixtures)
from web.app import create_app
from web.i18n import translator
from web.rate_limit import INVITATIONS_PER_HOUR
from web.settings import Settings

LIMITED = "You have sent many invitations in the last hour. Nothing was sent; please try again in a few minutes."


def _node(settings: Settings, gateway: Any, smtp: Any, redis_prefix: str | None) -> TestClient:  # noqa: F811
    changed = replace(settings, sms_gateway_url=gateway[1], sms_api_key="test-key", delivery_timeout_seconds=1.0)
    if redis_prefix is not None:
        changed = replace(changed, redis_url=REDIS_URL, redis_prefix=redis_prefix)
    return TestClient(TestServer(create_app(changed), host="127.0.0.1"))


@pytest.fixture(params=["one node", pytest.param("two nodes", marks=pytest.mark.redis)])
async def nodes(request, settings, gateway, smtp, redis) -> AsyncIterator[list[TestClient]]:  # type: ignore[no-untyped-def]  # noqa: F811
    """The caseworker's browser on one node, or on two nodes sharing Redis (the ``redis``
    fixture gives the key prefix; the one node keeps its limits in memory)."""
    if request.param == "one node":
        made = [_node(settings, gateway, smtp, None)]
    else:
        prefix = redis[1]  # this test's own keys, deleted after it
        made = [_node(settings, gateway, smtp, prefix), _node(settings, gateway, smtp, prefix)]
    for client in made:
        await client.start_server()
    yield made
    for client in made:
        await client.close()


async def _send(client: TestClient, session_id: str, html: str) -> Any:
    return await client.post(
        f"/sessions/{session_id}/invite/sms", data={"csrf_token": csrf_from(html), "phone": OK}, allow_redirects=False
    )


async def test_invitations_per_caseworker_are_limited_with_a_clear_message(nodes, gateway) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    state = gateway[0]
    capacity = INVITATIONS_PER_HOUR[0]
    first, last = nodes[0], nodes[-1]
    csrf = await login(first)  # type: ignore[arg-type]
    session_id, _link, html = await _session_page(first, csrf)
    for _ in range(capacity):
        assert (await _send(first, session_id, html)).status == 303
    assert len(state.received) == capacity
    # The next one, on this node or on the other: refused, the form shown again.
    if last is not first:
        await login(last)  # type: ignore[arg-type]
    html = await (await last.get(f"/sessions/{session_id}")).text()
    refused = await _send(last, session_id, html)
    text = await refused.text()
    assert refused.status == 429
    assert any(translator(lang)(LIMITED) in text for lang in ("de", "en")), text[-2000:]
    assert len(state.received) == capacity  # nothing sent
    # Another caseworker is not held back by it.
    other = nodes[0]
    await other.post("/logout", data={"csrf_token": csrf})
    csrf = await login(other, "kollege")  # type: ignore[arg-type]
    session_id, _link, html = await _session_page(other, csrf)
    assert (await _send(other, session_id, html)).status == 303
