"""Administration: offices, accounts with one-time password links, last admin, audit, absences."""

from __future__ import annotations

import re
from datetime import timedelta

from booking.availability import BERLIN
from storage import users
from tests.conftest import PASSWORD, TEST_PASSWORDS, csrf_from, login

ADDRESS = "Musterstraße 12\n10115 Berlin"


async def _admin(db, clock, office_id=None) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        await users.create_user(
            s,
            TEST_PASSWORDS,
            "chefin",
            PASSWORD,
            display_name="Frau Chefin",
            role="admin",
            now=clock(),
            office_id=office_id,
        )


async def _admin_page(client):  # type: ignore[no-untyped-def]
    page = await client.get("/admin")
    assert page.status == 200
    return csrf_from(await page.text())


async def _login_admin(client) -> str:  # type: ignore[no-untyped-def]
    page = await client.get("/login?lang=en")
    resp = await client.post(
        "/login",
        data={"username": "chefin", "password": PASSWORD, "csrf_token": csrf_from(await page.text())},
        allow_redirects=False,
    )
    assert resp.status == 303 and resp.headers["Location"] == "/admin"
    return await _admin_page(client)


async def test_admin_creates_office_and_account_that_sets_its_password(database, client, new_client, db, clock) -> None:  # type: ignore[no-untyped-def]
    await _admin(db, clock)
    csrf = await _login_admin(client)
    form = {
        "csrf_token": csrf,
        "name": "Jobcenter Mitte",
        "address": ADDRESS,
        "phone": "030 1234567",
        "hours_mon": "08:00-12:00, 14:00-16:00",
        "allow_caseworker_choice": "on",
    }
    resp = await client.post("/admin/offices/new", data=form, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    office_id = int(resp.headers["Location"].split("/")[3].split("?")[0])
    office = await (await client.get(f"/admin/offices/{office_id}")).text()
    assert "10115 Berlin" in office and "08:00-12:00, 14:00-16:00" in office

    resp = await client.post(
        "/admin/users",
        data={
            "csrf_token": csrf,
            "username": "neu",
            "display_name": "Herr Neu",
            "role": "caseworker",
            "office": str(office_id),
        },
    )
    html = await resp.text()
    assert resp.status == 200
    link = re.search(r'id="password-link" class="link" readonly value="([^"]+)"', html)
    assert link
    path = link.group(1)[link.group(1).index("/password/") :]
    # Without a password the account cannot log in.
    newcomer = await new_client()
    page = await newcomer.get("/login")
    resp = await newcomer.post(
        "/login", data={"username": "neu", "password": "x" * 20, "csrf_token": csrf_from(await page.text())}
    )
    assert resp.status == 401
    page = await newcomer.get(path)
    assert page.status == 200
    token = csrf_from(await page.text())
    short = await newcomer.post(path, data={"csrf_token": token, "password": "kurz", "repeat": "kurz"})
    assert short.status == 400 and "12" in await short.text()
    resp = await newcomer.post(
        path,
        data={"csrf_token": token, "password": "ein langes Passwort", "repeat": "ein langes Passwort"},
        allow_redirects=False,
    )
    assert resp.status == 303
    # The link works once.
    assert (await newcomer.get(path)).status == 410
    await login(newcomer, "neu", "ein langes Passwort")
    audit = await (await client.get("/admin/audit")).text()
    for event in ("admin.office_created", "admin.user_created", "password.set"):
        assert event in audit


async def test_bad_office_input_keeps_what_was_typed(client, db, clock) -> None:  # type: ignore[no-untyped-def]
    await _admin(db, clock)
    csrf = await _login_admin(client)
    base = {"csrf_token": csrf, "name": "Amt Nord", "address": ADDRESS, "phone": ""}
    cases = [
        ({"address": "irgendwo"}, "street and house number"),
        ({"hours_tue": "12:00-08:00"}, "each ending after it starts"),
        ({"hours_wed": "08:00-12:00, 11:00-13:00"}, "overlap"),
        ({"phone": "12"}, "valid phone number"),
    ]
    for change, message in cases:
        resp = await client.post("/admin/offices/new", data={**base, **change})
        html = await resp.text()
        assert resp.status == 400
        assert message in html
        assert "Amt Nord" in html
        for value in change.values():
            assert value.replace("\n", "") in html
    resp = await client.post("/admin/offices/new", data=base, allow_redirects=False)
    assert resp.status == 303
    office = resp.headers["Location"].split("?")[0]
    yesterday = (clock().astimezone(BERLIN) - timedelta(days=1)).date().isoformat()
    resp = await client.post(f"{office}/holidays", data={"csrf_token": csrf, "first": yesterday, "last": yesterday})
    html = await resp.text()
    assert resp.status == 400 and "in the past" in html and yesterday in html


async def test_last_active_admin_stays_and_deactivated_accounts_cannot_log_in(
    database, client, new_client, db, clock
) -> None:  # type: ignore[no-untyped-def]
    await _admin(db, clock)
    csrf = await _login_admin(client)
    html = await (await client.get("/admin")).text()
    own = re.search(
        r'action="/admin/users/(\d+)/deactivate"[^<]*<input[^>]*>\s*<button[^>]*>[^<]*</button>\s*</form>'
        r"(?:(?!data-user).)*",
        html,
        re.S,
    )
    assert own
    async with db() as s:
        admin = await users.authenticate(s, TEST_PASSWORDS, "chefin", PASSWORD)
        caseworker = await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD)
    assert admin and caseworker
    resp = await client.post(f"/admin/users/{admin.id}/deactivate", data={"csrf_token": csrf})
    assert resp.status == 409 and "last active administrator" in await resp.text()
    resp = await client.post(
        f"/admin/users/{admin.id}/assign", data={"csrf_token": csrf, "role": "caseworker", "office": ""}
    )
    assert resp.status == 400 and "last active administrator" in await resp.text()
    # A logged-in caseworker who is deactivated is logged out at once.
    colleague = await new_client()
    await login(colleague)
    resp = await client.post(
        f"/admin/users/{caseworker.id}/deactivate", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert resp.status == 303
    assert (await colleague.get("/dashboard", allow_redirects=False)).status == 303
    page = await colleague.get("/login")
    resp = await colleague.post(
        "/login", data={"username": "fachkraft", "password": PASSWORD, "csrf_token": csrf_from(await page.text())}
    )
    assert resp.status == 401
    await client.post(f"/admin/users/{caseworker.id}/reactivate", data={"csrf_token": csrf})
    await login(colleague)


async def test_office_admin_sees_only_own_office(client, db, clock) -> None:  # type: ignore[no-untyped-def]
    async with db.begin() as s:
        other = await users.ensure_default_office(s)
    from storage.models import Office

    async with db.begin() as s:
        mine = Office(name="Amt Süd", address=ADDRESS)
        s.add(mine)
        await s.flush()
        mine_id = mine.id
    await _admin(db, clock, office_id=mine_id)
    csrf = await _login_admin(client)
    html = await (await client.get("/admin")).text()
    assert "fachkraft" not in html and "Amt Süd" in html
    assert (await client.get(f"/admin/offices/{other}")).status == 404
    assert (await client.get("/admin/offices/new")).status == 403
    async with db() as s:
        caseworker = await users.authenticate(s, TEST_PASSWORDS, "fachkraft", PASSWORD)
    assert caseworker
    resp = await client.post(f"/admin/users/{caseworker.id}/deactivate", data={"csrf_token": csrf})
    assert resp.status == 404


async def test_caseworker_edits_and_deletes_own_absence(client, clock) -> None:  # type: ignore[no-untyped-def]
    await client.get("/login?lang=en")
    csrf = await login(client)
    day = (clock().astimezone(BERLIN) + timedelta(days=3)).date()
    resp = await client.post(
        "/availability/absences", data={"csrf_token": csrf, "first": day.isoformat()}, allow_redirects=False
    )
    assert resp.status == 303
    html = await (await client.get("/availability")).text()
    absence = re.search(r'action="/availability/absences/(\d+)"', html)
    assert absence
    url = f"/availability/absences/{absence.group(1)}"
    later = (day + timedelta(days=2)).isoformat()
    resp = await client.post(
        url, data={"csrf_token": csrf, "first": day.isoformat(), "last": later, "action": "save"}, allow_redirects=False
    )
    assert resp.status == 303
    assert later in await (await client.get("/availability")).text()
    bad = await client.post(url, data={"csrf_token": csrf, "first": later, "last": day.isoformat(), "action": "save"})
    assert bad.status == 400
    resp = await client.post(url, data={"csrf_token": csrf, "action": "delete"}, allow_redirects=False)
    assert resp.status == 303
    assert url not in await (await client.get("/availability")).text()


async def test_admin_forms_do_not_look_filled_or_default_to_every_office(database, client, db, clock) -> None:  # type: ignore[no-untyped-def]
    await _admin(db, clock)
    csrf = await _login_admin(client)
    form = {"csrf_token": csrf, "name": "Amt Nord", "address": ADDRESS, "phone": "030 1234567"}
    resp = await client.post("/admin/offices/new", data=form, allow_redirects=False)
    assert resp.status == 303, await resp.text()
    office_id = int(resp.headers["Location"].split("/")[3].split("?")[0])
    office = await (await client.get(f"/admin/offices/{office_id}")).text()
    days = re.findall(r'<input id="hours_(\w+)"[^>]*>', office)
    assert len(days) == 7
    for field in re.findall(r'<input id="hours_\w+"[^>]*>', office):
        # Closed days look empty: no example inside a field (one hint above them all).
        assert "placeholder" not in field and 'value=""' in field, field
    assert 'id="hours-hint"' in office
    admin = await (await client.get("/admin")).text()
    select = admin[admin.index('<select id="office" name="office">') :]
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[: select.index("</select>")])
    assert options[0][0] != "" and (str(office_id), "Amt Nord") in options
    assert options[-1] == ("", "all offices")  # still there for an admin, chosen on purpose
