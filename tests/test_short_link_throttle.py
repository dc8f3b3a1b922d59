"""The short invitation link ``/j/<code>`` is throttled per client like ``/f/<code>`` (issue 27)."""

from __future__ import annotations

import secrets

GUESSES = 12


async def _statuses(client, prefix: str) -> list[int]:  # type: ignore[no-untyped-def]
    statuses = []
    for _ in range(GUESSES):
        resp = await client.get(f"{prefix}{secrets.token_hex(10).upper()}", allow_redirects=False)
        statuses.append(resp.status)
    return statuses


async def test_join_code_guessing_is_throttled_like_feedback_codes(client, new_client) -> None:  # type: ignore[no-untyped-def]
    joins = await _statuses(client, "/j/")
    assert all(400 <= s < 500 and s != 429 for s in joins[:10]), joins  # a clear 4xx, never a 5xx
    assert joins[10:] == [429, 429]
    # The same bucket size and the same answer as the feedback card's short code.
    other = await new_client()
    feedback = await _statuses(other, "/f/")
    assert [s == 429 for s in feedback] == [s == 429 for s in joins]
