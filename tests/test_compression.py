"""Static text files travel compressed; pages never do (BREACH)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

STATIC = Path(__file__).parent.parent / "web" / "static"


async def test_static_scripts_and_styles_are_gzipped_when_asked(client) -> None:  # type: ignore[no-untyped-def]
    login = await client.get("/login")
    html = await login.text()
    css = re.search(r'href="(/static/css/app\.css[^"]*)"', html)
    assert css is not None
    for path, source in (
        (css.group(1), STATIC / "css" / "app.css"),
        ("/static/vendor/socket.io.esm.min.js", STATIC / "vendor" / "socket.io.esm.min.js"),
    ):
        resp = await client.get(path, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
        assert resp.status == 200
        assert resp.headers["Content-Encoding"] == "gzip"
        assert "Accept-Encoding" in resp.headers["Vary"]
        body = await resp.read()
        assert gzip.decompress(body) == source.read_bytes()  # the same file, byte for byte
        assert len(body) < source.stat().st_size / 2


async def test_static_is_plain_without_accept_encoding(client) -> None:  # type: ignore[no-untyped-def]
    resp = await client.get("/static/js/i18n.js", headers={"Accept-Encoding": "identity"}, auto_decompress=False)
    assert resp.status == 200
    assert "Content-Encoding" not in resp.headers
    assert await resp.read() == (STATIC / "js" / "i18n.js").read_bytes()


async def test_pages_are_never_compressed(client) -> None:  # type: ignore[no-untyped-def]
    # A page carries a CSRF token next to what a visitor can influence: no length oracle.
    resp = await client.get("/login", headers={"Accept-Encoding": "gzip, br"}, auto_decompress=False)
    assert resp.status == 200
    assert "Content-Encoding" not in resp.headers
    assert b"csrf_token" in await resp.read()


async def test_pages_preload_the_modules_their_script_imports(client) -> None:  # type: ignore[no-untyped-def]
    # Every module the page's scripts import, directly or not, is preloaded, each by the
    # versioned URL a served module imports (else the browser fetches twice); and each is
    # served compressed and cacheable.
    from tests.conftest import create_session, login

    csrf = await login(client)
    session_id, _ = await create_session(client, csrf)
    for path, scripts in (("/dashboard", 1), (f"/sessions/{session_id}/call", 1)):
        html = await (await client.get(path)).text()
        preloaded = re.findall(r'rel="modulepreload" href="([^"]+)"', html)
        entries = re.findall(r'<script type="module" src="([^"]+)"', html)
        assert len(entries) == scripts
        imported: set[str] = set()
        pending = list(entries)
        while pending:
            url = pending.pop()
            resp = await client.get(url, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
            assert resp.status == 200 and resp.headers["Content-Encoding"] == "gzip"
            assert "immutable" in resp.headers["Cache-Control"]
            source = gzip.decompress(await resp.read()).decode()
            base = url.rsplit("/", 1)[0]
            for spec in re.findall(r'from "(\./[^"]+|/static/[^"]+)"', source):
                full = spec if spec.startswith("/") else f"{base}/{spec[2:]}"
                if full not in imported:
                    imported.add(full)
                    pending.append(full)
        assert sorted(preloaded) == sorted(imported - set(entries)), path
