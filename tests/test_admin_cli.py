"""The administration commands, through ``main()`` on a fresh SQLite file."""

from __future__ import annotations

import re

from web.cli import main


def test_office_and_account_from_the_command_line(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setenv("PUBLIC_URL", "https://video.example.de")
    assert main(["migrate"]) == 0
    assert main(["office-create", "Amt Nord", "--address", "Musterstraße 1, 12345 Musterstadt"]) == 0
    assert main(["office-create", "Amt Süd", "--address", "nirgends"]) == 2
    assert "invalid office: address" in capsys.readouterr().err
    assert main(["user-invite", "chefin", "--name", "Chefin", "--role", "admin"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"https://video\.example\.de/password/[A-Za-z0-9_-]{40,}", out)
    # The last active administrator stays.
    assert main(["user-deactivate", "chefin"]) == 2
    assert "last_admin" in capsys.readouterr().err
    assert main(["user-invite", "neu", "--name", "Neu", "--office", "1"]) == 0
    assert main(["user-deactivate", "neu"]) == 0
    assert main(["user-reactivate", "neu"]) == 0
    assert main(["password-link", "neu"]) == 0
    assert "/password/" in capsys.readouterr().out
    assert main(["password-link", "niemand"]) == 2


def test_links_need_the_public_address_and_help_names_every_role(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import pytest

    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    assert main(["migrate"]) == 0
    assert main(["user-invite", "chefin", "--name", "Chefin", "--role", "admin"]) == 2
    captured = capsys.readouterr()
    assert "PUBLIC_URL" in captured.err and "/password/" not in captured.out
    # Nothing was created: with the address set, the same invitation works.
    monkeypatch.setenv("PUBLIC_URL", "https://video.example.de")
    assert main(["user-invite", "chefin", "--name", "Chefin", "--role", "admin"]) == 0
    assert "https://video.example.de/password/" in capsys.readouterr().out
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "create a caseworker, evaluator or admin account" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["create-user", "--help"])
    assert "admin (manages offices and accounts)" in capsys.readouterr().out
