"""The recipient's /about page and the consent texts name what the data inventory holds about them."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from babel.dates import format_timedelta

from consent.texts import LANGUAGES as TEXT_LANGUAGES
from consent.texts import current_text
from recordings_policy import DEFAULT_POLICY, load_policy
from recordings_policy.inventory import Person, categories_for, consent_categories
from recordings_policy.retention import NEVER_STORED, Category, RetentionPolicy
from web.app import create_app
from web.i18n import LANGUAGES, language_info
from web.settings import Settings

_ITEM = re.compile(r'<li data-category="([a-z_ ]+)">(.*?)</li>', re.S)
_PLACEHOLDER = re.compile(r"\{([a-z_]+)_(?:days|duration)\}")


def _named(page: str) -> dict[str, str]:
    section = page.split('id="your-data"', 1)[1].split("</section>", 1)[0]
    return {category: html.unescape(text) for category, text in _ITEM.findall(section)}


def _words(policy: RetentionPolicy, category: Category, language: str) -> str:
    days = policy.days(category)
    return format_timedelta(timedelta(days=days), format="long", locale=language_info(language).locale)


async def _about_pages(settings: Settings) -> dict[str, dict[str, str]]:
    async with TestClient(TestServer(create_app(settings))) as client:
        pages = {}
        for language in LANGUAGES:
            resp = await client.get(f"/about?lang={language}")
            assert resp.status == 200, language
            pages[language] = _named(await resp.text())
        return pages


async def test_the_about_page_names_every_category_stored_about_the_recipient(settings: Settings) -> None:
    policy = load_policy(settings.policy_path)
    expected = categories_for(Person.RECIPIENT)
    assert Category.SESSION_METADATA in expected and Category.BOOKINGS_AND_PHONE_NUMBERS in expected
    for language, named in (await _about_pages(settings)).items():
        never = [set(key.split()) for key in named if " " in key]
        assert never == [{c.value for c in NEVER_STORED}], language
        stored = {Category(key) for key in named if " " not in key}
        assert stored == expected, f"{language}: the page names {stored}, the inventory holds {expected}"
        for category in stored:
            assert _words(policy, category, language) in named[category.value], (language, category)


async def test_the_about_page_follows_a_changed_policy(settings: Settings, tmp_path: Path) -> None:
    text = DEFAULT_POLICY.read_text("utf-8").replace("days = 7\n", "days = 14\n").replace("days = 30\n", "days = 21\n")
    (tmp_path / "policy.toml").write_text(text, "utf-8")
    changed = replace(settings, policy_path=tmp_path / "policy.toml")
    named = (await _about_pages(changed))["de"]
    assert "2 Wochen nach dem Termin" in named["bookings_and_phone_numbers"]
    assert "3 Wochen" in named["logs"]


def test_every_current_consent_text_names_the_categories_the_consent_covers() -> None:
    expected = {c.value for c in consent_categories()}
    assert expected == {"session_metadata", "consent_records"}
    for language in TEXT_LANGUAGES:
        named = set(_PLACEHOLDER.findall(current_text(language).body))
        assert named == expected, f"consent/texts/{language}: names {named}, the inventory's consent covers {expected}"


def test_a_text_that_names_a_category_the_inventory_does_not_hold_is_caught() -> None:
    body = current_text("de").body + "\nRückmeldungen: {feedback_duration}; Fotos: {screenshots_duration}."
    named = set(_PLACEHOLDER.findall(body))
    assert named - {c.value for c in consent_categories()} == {"feedback", "screenshots"}
    assert Category.SCREENSHOTS not in categories_for(Person.RECIPIENT)
