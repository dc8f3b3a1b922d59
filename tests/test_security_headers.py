"""HSTS, cross-site POSTs, and deleted phone numbers in SQLite's files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.conftest import PASSWORD, csrf_from, replace
from tests.test_booking_http import _book, _slot, recipient  # noqa: F401  (fixture)
from web.app import create_app
from web.middlewares import HSTS
from web.settings import Settings


async def _headers(settings: Settings, path: str) -> dict[str, str]:
    app: web.Application = create_app(settings)
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        resp = await client.get(path, allow_redirects=False)
        return dict(resp.headers)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"secure_cookies": True}, True),
        ({"public_url": "https://video.jobcenter.example"}, True),
        ({"public_url": "http://127.0.0.1:8080"}, False),
        ({}, False),
    ],
)
@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/s/00000000-0000-0000-0000-000000000000"])
async def test_hsts_behind_https(settings, changes, expected, path: str) -> None:  # type: ignore[no-untyped-def]
    headers = await _headers(replace(settings, **changes), path)
    assert (headers.get("Strict-Transport-Security") == HSTS) is expected


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Sec-Fetch-Site": "same-site"}, 403),
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "http://127.0.0.1.evil.example"}, 403),
        # What a browser sends on our own form (Referrer-Policy no-referrer → Origin: null).
        ({"Sec-Fetch-Site": "same-origin", "Origin": "null"}, 303),
        ({"Sec-Fetch-Site": "none"}, 303),
        ({}, 303),
    ],
)
async def test_state_changing_posts_refuse_other_sites(client, headers: dict[str, str], status: int) -> None:  # type: ignore[no-untyped-def]
    page = await client.get("/login")
    csrf = csrf_from(await page.text())  # even with the right CSRF token
    resp = await client.post(
        "/login",
        data={"username": "fachkraft", "password": PASSWORD, "csrf_token": csrf},
        headers=headers,
        allow_redirects=False,
    )
    assert resp.status == status


async def test_own_origin_is_accepted(client) -> None:  # type: ignore[no-untyped-def]
    page = await client.get("/login")
    origin = str(client.make_url("/")).rstrip("/")
    resp = await client.post(
        "/login",
        data={"username": "fachkraft", "password": PASSWORD, "csrf_token": csrf_from(await page.text())},
        headers={"Origin": origin, "Sec-Fetch-Site": "same-origin"},
        allow_redirects=False,
    )
    assert resp.status == 303


def _files_contain(database: Path, needle: bytes) -> list[str]:
    found = []
    for path in (database, database.with_name(database.name + "-wal")):
        if path.exists() and needle in path.read_bytes():
            found.append(path.name)
    return found


async def test_cancelled_phone_number_leaves_the_sqlite_files(recipient, settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    person, session_id, _cw, _csrf = recipient
    database = Path(settings.database_url.split("///", 1)[1])
    resp = await _book(person, session_id, slot=_slot(9), phone="0170 5550123")
    assert resp.status == 303
    manage = resp.headers["Location"]
    html = await (await person.get(manage)).text()
    assert _files_contain(database, b"+491705550123")  # it is stored while it is needed
    resp = await person.post(f"{manage}/cancel", data={"csrf_token": csrf_from(html)}, allow_redirects=False)
    assert resp.status == 303
    assert _files_contain(database, b"+491705550123") == []


async def test_purged_phone_number_leaves_the_sqlite_files(db, settings) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace as copy

    from recordings_policy import load_policy
    from storage import bookings
    from storage.purge import purge
    from tests.test_booking_storage import NOW, _caseworker, _request

    database = Path(settings.database_url.split("///", 1)[1])
    request = copy(_request(await _caseworker(db)), phone="+491705550199")
    await bookings.book(db, request, NOW)
    assert _files_contain(database, b"+491705550199")
    report = await purge(db, load_policy(settings.policy_path), NOW + timedelta(days=30))
    assert report.deleted["bookings"] == 1
    assert _files_contain(database, b"+491705550199") == []
