"""Seven languages through the real app: direction, the switcher, plain words, no lost work."""

from __future__ import annotations

import hashlib
import re

import pytest
from sqlalchemy import inspect

from consent.texts import current_text, languages
from recordings_policy import load_policy
from tests.conftest import create_session, csrf_from, login
from web.i18n import LANGUAGES

_SWITCH_LINK = re.compile(r'<a href="([^"]+)" hreflang="([^"]+)"')
_SWITCH_BUTTON = re.compile(r'formaction="\?lang=([^"]+)"')


def _switch_links(html: str) -> list[tuple[str, str]]:
    """(href, code) of the language switcher's links."""
    nav = html[html.index('<nav class="lang"') : html.index("</nav>")]
    return _SWITCH_LINK.findall(nav)


async def _invited(new_client, language: str = "de"):  # type: ignore[no-untyped-def]
    caseworker = await new_client()
    csrf = await login(caseworker)
    session_id, join_path = await create_session(caseworker, csrf, language=language)
    person = await new_client()
    resp = await person.get(join_path, allow_redirects=False)
    assert resp.status == 303
    return person, session_id, caseworker


async def test_arabic_is_right_to_left_and_the_switcher_names_every_language_in_itself(new_client) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _ = await _invited(new_client, "ar")
    html = await (await person.get(f"/s/{session_id}")).text()
    assert '<html lang="ar" dir="rtl"' in html
    for name in ("Deutsch", "Leichte Sprache", "English", "العربية", "Українська", "Türkçe", "Русский"):
        assert f">{name}</a>" in html
    assert {code for _, code in _switch_links(html)} >= set(LANGUAGES)
    german = await (await person.get(f"/s/{session_id}?lang=de")).text()
    assert '<html lang="de" dir="ltr"' in german


@pytest.mark.parametrize("code", LANGUAGES)
async def test_every_recipient_language_renders_the_landing_page(new_client, code: str) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _ = await _invited(new_client, code)
    html = await (await person.get(f"/s/{session_id}")).text()
    assert f'<html lang="{code}"' in html
    assert 'href="/accessibility"' in html and 'href="/about?lang=de-x-ls"' in html


async def test_staff_pages_are_german_or_english_only(client) -> None:  # type: ignore[no-untyped-def]
    await login(client)
    html = await (await client.get("/dashboard?lang=ar")).text()
    assert '<html lang="de" dir="ltr"' in html
    assert {code for _, code in _switch_links(html)} == {"de", "en"}
    # The invitation language offers all seven, by their own names.
    assert '<option value="de-x-ls"' in html and ">Українська</option>" in html


async def test_switching_keeps_the_reason_on_the_booking_page(new_client) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _ = await _invited(new_client)
    html = await (await person.get(f"/s/{session_id}/fallback?reason=waited_too_long&who=any")).text()
    # The page has a form: the switcher sends it (reason, typed number) instead of a bare link.
    assert set(_SWITCH_BUTTON.findall(html)) == set(LANGUAGES)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert key
    resp = await person.post(
        f"/s/{session_id}/fallback?lang=uk",
        data={
            "csrf_token": csrf_from(html),
            "idempotency_key": key.group(1),
            "reason": "waited_too_long",
            "who": "any",
            "channel": "phone",
            "phone": "0151 2345678",
            "switch_language": "uk",
        },
    )
    assert resp.status == 200
    page = await resp.text()
    assert '<html lang="uk"' in page
    assert "Очікування було надто довгим." in page  # the reason, in Ukrainian
    assert 'value="0151 2345678"' in page and 'value="phone" required checked' in page
    assert f'value="{key.group(1)}"' in page
    # Nothing was booked, and the language is remembered.
    assert "Вашу зустріч заброньовано" not in page
    again = await (await person.get(f"/s/{session_id}/fallback?reason=media")).text()
    assert '<html lang="uk"' in again
    links = dict((code, href) for href, code in _switch_links(again))
    assert not links  # still a page with a form: buttons, not links


async def test_switching_after_a_failed_consent_keeps_the_tick_and_shows_the_new_text(new_client) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _ = await _invited(new_client)
    html = await (await person.get(f"/s/{session_id}/consent")).text()
    failed = await person.post(
        f"/s/{session_id}/consent",
        data={"csrf_token": csrf_from(html), "action": "agree", "version": "0", "language": "de", "agree": "yes"},
    )
    assert failed.status == 400
    page = await failed.text()
    assert set(_SWITCH_BUTTON.findall(page)) == set(LANGUAGES)
    switched = await person.post(
        f"/s/{session_id}/consent?lang=ar",
        data={"csrf_token": csrf_from(page), "version": "3", "language": "de", "agree": "yes", "switch_language": "ar"},
    )
    assert switched.status == 200
    arabic = await switched.text()
    assert '<html lang="ar" dir="rtl"' in arabic and 'data-language="ar"' in arabic
    assert 'id="agree" checked' in arabic
    assert "الموافقة على الاستشارة عبر الفيديو" in arabic


async def test_a_failed_staff_form_links_the_switcher_to_its_page_not_a_405(client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    resp = await client.post("/availability/absences", data={"csrf_token": csrf, "first": "not a date"})
    html = await resp.text()
    hrefs = {code: href for href, code in _switch_links(html)}
    assert hrefs["en"] == "/availability?lang=en"
    assert (await client.get(hrefs["en"])).status == 200


@pytest.mark.parametrize("code", sorted(languages()))
def test_each_consent_text_is_plain_and_versioned_with_its_own_hash(code: str) -> None:
    facts = load_policy().facts()
    text = current_text(code).filled(facts)
    assert text.language == code
    assert "DTLS" not in text.body and "1095" not in text.body and "{" not in text.body
    assert text.sha256 == hashlib.sha256(text.body.encode()).hexdigest()


def test_every_recipient_language_has_a_consent_text_of_its_own() -> None:
    assert languages() == set(LANGUAGES)
    hashes = {current_text(code).filled(load_policy().facts()).sha256 for code in LANGUAGES}
    assert len(hashes) == len(LANGUAGES)


async def test_consent_in_leichte_sprache_is_recorded_with_its_tag(new_client, app) -> None:  # type: ignore[no-untyped-def]
    from storage import consents, sessions
    from web.keys import DB

    person, session_id, _ = await _invited(new_client, "de-x-ls")
    html = await (await person.get(f"/s/{session_id}/consent")).text()
    assert "Zustimmung zur Video-Beratung" in html and "3 Jahre lang" in html
    resp = await person.post(
        f"/s/{session_id}/consent",
        data={"csrf_token": csrf_from(html), "action": "agree", "version": "1", "language": "de-x-ls", "agree": "yes"},
        allow_redirects=False,
    )
    assert resp.status == 303
    async with app[DB]() as db:
        [participant] = [p for p in await sessions.participants_of(db, session_id) if p.role == "recipient"]
        record = await consents.current_consent(db, participant.id)
    assert record is not None and record.language == "de-x-ls"
    raw = await (await person.get("/consent/de-x-ls/1.txt")).read()
    assert hashlib.sha256(raw).hexdigest() == record.text_sha256


async def test_no_internal_codes_on_the_session_page(client) -> None:  # type: ignore[no-untyped-def]
    csrf = await login(client)
    session_id, _ = await create_session(client, csrf, language="uk")
    html = await (await client.get(f"/sessions/{session_id}")).text()
    assert "Українська" in html and "<dd>uk</dd>" not in html


async def test_accessibility_statement_and_easy_start_information(client, settings) -> None:  # type: ignore[no-untyped-def]
    html = await (await client.get("/accessibility")).text()
    assert 'id="conformity"' in html and 'id="gaps"' in html
    assert f'href="mailto:{settings.accessibility_email}"' in html
    assert "§ 16 BGG" in html and "Schlichtungsstelle" in html
    easy = await (await client.get("/about?lang=de-x-ls")).text()
    assert '<html lang="de-x-ls"' in easy and "Über die Video-Beratung" in easy


async def test_numbers_follow_the_page_language() -> None:
    from web import i18n
    from web.templating import percent

    for code, expected in (("de", "66,7 %"), ("en", "66.7%"), ("tr", "%66,7")):
        i18n.use_language(code)
        assert percent(2 / 3) == expected
    i18n.use_language("de")


async def test_a_feedback_answer_stores_no_language(db) -> None:  # type: ignore[no-untyped-def]
    # A rare language is an identifier in a small office.
    async with db() as session:
        conn = await session.connection()
        columns = await conn.run_sync(lambda sync: [c["name"] for c in inspect(sync).get_columns("feedback_responses")])
    assert not [c for c in columns if "lang" in c]


async def test_a_language_chosen_on_a_redirecting_address_is_kept(new_client) -> None:  # type: ignore[no-untyped-def]
    person, session_id, _ = await _invited(new_client)
    resp = await person.get(f"/s/{session_id}/wait?lang=tr", allow_redirects=False)
    assert resp.status == 303  # no consent yet: on to the consent page
    html = await (await person.get(resp.headers["Location"])).text()
    assert '<html lang="tr"' in html


async def test_booking_confirmation_and_calendar_file_in_russian(new_client) -> None:  # type: ignore[no-untyped-def]
    import icalendar

    person, session_id, _ = await _invited(new_client, "ru")
    html = await (await person.get(f"/s/{session_id}/fallback?reason=call_failed")).text()
    slot = re.search(r'name="slot" value="([^"]+)"', html)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert slot and key
    resp = await person.post(
        f"/s/{session_id}/fallback",
        data={
            "csrf_token": csrf_from(html),
            "idempotency_key": key.group(1),
            "reason": "call_failed",
            "who": "mine",
            "channel": "phone",
            "phone": "030 1234567",
            "slot": slot.group(1),
        },
    )
    page = await resp.text()
    assert "Ваша встреча забронирована" in page and '<bdi dir="ltr" translate="no">' in page
    manage = str(resp.url.path)
    ics = icalendar.Calendar.from_ical(await (await person.get(f"{manage}/termin.ics")).read())
    [event] = [c for c in ics.walk() if c.name == "VEVENT"]
    # The lock screen shows the title: no office or authority in it; the place is LOCATION's.
    assert str(event["SUMMARY"]) == "Встреча по телефону"


async def test_staff_pages_have_no_call_footer_and_recipients_no_error_codes(client, new_client) -> None:  # type: ignore[no-untyped-def]
    await login(client)
    for path in ("/dashboard", "/login"):
        staff = await (await client.get(path)).text()
        assert "nicht aufgezeichnet" not in staff and 'id="easy-language-link"' not in staff, path
    recipient = await new_client()
    page = await (await recipient.get("/accessibility")).text()
    assert "nicht aufgezeichnet" in page and 'id="easy-language-link"' in page
    error = await recipient.get("/join/garbage")
    assert error.status == 400 and "Fehlercode" not in await error.text()
    staff_error = await client.get("/sessions/00000000-0000-0000-0000-000000000000")
    assert staff_error.status == 404 and "Fehlercode: 404" in await staff_error.text()


_FIRST_VISIT = ("/join/not-a-valid-token", "/f", "/accessibility", "/s/00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize(
    ("header", "code", "direction", "text"),
    [
        ("ar", "ar", "rtl", "رابط الدعوة هذا غير صالح."),
        ("uk-UA,uk;q=0.9,en;q=0.5", "uk", "ltr", "Це посилання-запрошення недійсне."),
        ("fr-FR, ru;q=0.4, en;q=0.3", "ru", "ltr", "Эта ссылка-приглашение недействительна."),
        ("en-GB,de;q=0.5", "en", "ltr", "This invitation link is not valid."),
        ("tr;q=0, ar;q=0.1", "ar", "rtl", "رابط الدعوة هذا غير صالح."),
        ("fr, *;q=0.5", "de", "ltr", "Dieser Einladungslink ist ungültig."),
        ("de-x-ls", "de-x-ls", "ltr", None),
        ("q=;;,,, 12345", "de", "ltr", "Dieser Einladungslink ist ungültig."),
    ],
)
async def test_a_first_visit_follows_the_browser_language(new_client, header, code, direction, text) -> None:  # type: ignore[no-untyped-def]
    person = await new_client()
    for path in _FIRST_VISIT:
        resp = await person.get(path, headers={"Accept-Language": header}, allow_redirects=False)
        html = await resp.text()
        assert resp.status < 500, (path, resp.status)
        assert f'<html lang="{code}" dir="{direction}"' in html, path
        assert "lang=" not in resp.headers.get("Set-Cookie", ""), "only a chosen language is remembered"
    page = await (await person.get(_FIRST_VISIT[0], headers={"Accept-Language": header})).text()
    if text is not None:
        assert text in page


async def test_a_chosen_language_beats_the_browser_language(new_client) -> None:  # type: ignore[no-untyped-def]
    person = await new_client()
    arabic = {"Accept-Language": "ar"}
    chosen = await (await person.get("/accessibility?lang=uk", headers=arabic)).text()
    assert '<html lang="uk" dir="ltr"' in chosen
    # Remembered by the cookie, still above the header.
    again = await (await person.get("/join/nonsense", headers=arabic)).text()
    assert '<html lang="uk" dir="ltr"' in again


async def test_staff_pages_fall_back_to_german_for_other_browser_languages(client) -> None:  # type: ignore[no-untyped-def]
    await login(client)
    html = await (await client.get("/dashboard", headers={"Accept-Language": "ar"})).text()
    assert '<html lang="de" dir="ltr"' in html
    english = await (await client.get("/dashboard", headers={"Accept-Language": "en-US"})).text()
    assert '<html lang="en" dir="ltr"' in english


def test_negotiation_picks_the_best_of_the_seven() -> None:
    from web.i18n import negotiate

    assert negotiate("de-AT, en;q=0.8") == "de"
    assert negotiate("fr;q=1.0, tr;q=0.9, ar;q=0.95") == "ar"
    assert negotiate("EN-us") == "en"
    assert negotiate("de-x-ls") == "de-x-ls"
    assert negotiate("de-x-other") == "de"
    assert negotiate("ar;q=0, fr") is None
    assert negotiate("ar;q=2") is None  # a weight outside 0..1 is malformed
    assert negotiate("") is None and negotiate(None) is None
    assert negotiate("en, ar", ("de", "en")) == "en"
