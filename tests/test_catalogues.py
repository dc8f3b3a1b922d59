"""Every shipped catalogue translates every message its readers can see.

Other branches add messages all the time; a failure here names each missing msgid per
language (``make translations`` prints the same list).
"""

from __future__ import annotations

import pytest
from babel import Locale

from web import catalogues, i18n


def test_every_catalogue_is_complete() -> None:
    gaps = catalogues.gaps()
    report = "\n".join(f"{gap.language}: {gap.problem}: {gap.msgid!r}" for gap in gaps)
    assert not gaps, f"{len(gaps)} translations to do (python -m web.catalogues):\n{report}"


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_no_catalogue_holds_a_fuzzy_guess(code: str) -> None:
    # Recipient and staff messages alike: a guess is either translated for real or cleared
    # (staff pages then fall back to German or English), never shipped as a translation.
    from babel.messages.pofile import read_po

    with open(catalogues._catalogue_path(code), "rb") as po:
        fuzzy = [str(message.id) for message in read_po(po) if message.id and message.fuzzy]
    assert not fuzzy, f"{code}: {len(fuzzy)} fuzzy entries: {fuzzy}"


def test_the_catalogues_compile_without_fuzzy_entries() -> None:
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text(encoding="utf-8")
    [compile_line] = [line for line in makefile.splitlines() if "pybabel compile" in line]
    assert "--use-fuzzy" not in compile_line and "-f " not in compile_line


def test_a_fuzzy_entry_is_found(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The check above reads the flag as Babel does: a catalogue with one guess fails it.
    (tmp_path / "x" / "LC_MESSAGES").mkdir(parents=True)
    po = tmp_path / "x" / "LC_MESSAGES" / "messages.po"
    po.write_text('msgid ""\nmsgstr ""\n\n#, fuzzy\nmsgid "Change"\nmsgstr "Beenden"\n', encoding="utf-8")
    monkeypatch.setattr(catalogues, "_catalogue_path", lambda code: po)
    with pytest.raises(AssertionError, match="1 fuzzy entries"):
        test_no_catalogue_holds_a_fuzzy_guess("ar")


def test_gaps_name_each_missing_msgid_per_language(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A catalogue that lacks a message is reported with exactly that msgid and language.
    monkeypatch.setattr(catalogues, "extracted", lambda: {"Brand-new text": frozenset({"web/templates/x.html"})})
    found = catalogues.gaps(["ar", "en"])
    assert [(g.language, g.msgid, g.problem) for g in found] == [("ar", "Brand-new text", "missing")]


def test_staff_only_messages_need_german_only(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(catalogues, "extracted", lambda: {"Staff text": frozenset({"web/templates/dashboard.html"})})
    assert {g.language for g in catalogues.gaps()} == {"de"}


def test_fill_refuses_changed_placeholders() -> None:
    problems = catalogues.fill({"ar": {"You are number {position} in the queue ({waiting} waiting).": "{position}"}})
    assert problems and "placeholders differ" in problems[0]


@pytest.mark.parametrize("code", i18n.LANGUAGES)
def test_each_language_has_a_catalogue_a_babel_locale_and_a_translated_title(code: str) -> None:
    info = i18n.language_info(code)
    assert Locale.parse(info.locale)
    i18n.use_language(code)
    try:
        title = i18n.gettext("Waiting room")
    finally:
        i18n.use_language("de")
    if code == "en":
        assert title == "Waiting room"
    else:
        assert title != "Waiting room"


def test_translations_keep_their_placeholders() -> None:
    from babel.messages.pofile import read_po

    for code in i18n.LANGUAGES:
        with open(catalogues._catalogue_path(code), "rb") as po:
            for message in read_po(po):
                if message.id and message.string:
                    assert catalogues.placeholders(str(message.id)) == catalogues.placeholders(str(message.string)), (
                        code,
                        message.id,
                    )
