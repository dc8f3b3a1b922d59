"""The audit view is scoped to the admin's office; an admin without an office reads all (issue 27)."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage import users
from storage.models import User
from tests.conftest import PASSWORD, TEST_PASSWORDS, csrf_from

ADDRESS = "Musterstraße 12\n10115 Berlin"


async def _office(client, csrf: str, name: str) -> int:  # type: ignore[no-untyped-def]
    form = {"csrf_token": csrf, "name": name, "address": ADDRESS, "phone": "030 1234567", "hours_mon": "08:00-12:00"}
    resp = await client.post("/admin/offices/new", data=form, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    return int(resp.headers["Location"].split("/")[3].split("?")[0])


async def _invite(client, csrf: str, username: str, office_id: int) -> None:  # type: ignore[no-untyped-def]
    form = {
        "csrf_token": csrf,
        "username": username,
        "display_name": "X",
        "role": "caseworker",
        "office": str(office_id),
    }
    resp = await client.post("/admin/users", data=form)
    assert resp.status == 200, await resp.text()


async def _login_admin(client, username: str) -> str:  # type: ignore[no-untyped-def]
    page = await client.get("/login?lang=en")
    data = {"username": username, "password": PASSWORD, "csrf_token": csrf_from(await page.text())}
    resp = await client.post("/login", data=data, allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/admin"
    return csrf_from(await (await client.get("/admin")).text())


async def _audit(client) -> set[str]:  # type: ignore[no-untyped-def]
    page = await client.get("/admin/audit")
    assert page.status == 200
    return set(re.findall(r"(?:user|office)=\d+", await page.text()))


async def test_an_offices_admin_reads_only_that_offices_audit(database, client, new_client, db, clock) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        await users.create_user(s, TEST_PASSWORDS, "chefin", PASSWORD, display_name="Alle", role="admin", now=clock())
    csrf = await _login_admin(client, "chefin")
    office_a = await _office(client, csrf, "Amt A")
    office_b = await _office(client, csrf, "Amt B")
    await _invite(client, csrf, "in_a", office_a)
    await _invite(client, csrf, "in_b", office_b)
    async with db() as s:
        in_a = await s.scalar(select(User.id).where(User.username == "in_a"))
        in_b = await s.scalar(select(User.id).where(User.username == "in_b"))
        await users.create_user(
            s, TEST_PASSWORDS, "leitung_a", PASSWORD, display_name="A", role="admin", now=clock(), office_id=office_a
        )
        await s.commit()
    everything = {f"office={office_a}", f"office={office_b}", f"user={in_a}", f"user={in_b}"}
    assert everything <= await _audit(client)  # the admin without an office: every office

    admin_a = await new_client()
    await _login_admin(admin_a, "leitung_a")
    seen = await _audit(admin_a)
    assert {f"office={office_a}", f"user={in_a}"} <= seen
    assert not {f"office={office_b}", f"user={in_b}"} & seen  # office B's entries stay with B
    # Paging on cannot reach them either.
    older = await admin_a.get("/admin/audit?before=999999")
    assert f"user={in_b}" not in await older.text()
