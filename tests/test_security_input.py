"""Malformed bodies and payloads: a 400 / JSON error / bad_payload, one warning, no traceback."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.test_security_events import SDP, _call, closing  # noqa: F401  (fixture)


def _log_lines(caplog: pytest.LogCaptureFixture) -> tuple[list[logging.LogRecord], list[logging.LogRecord]]:
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith(("web", "signaling"))]
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    return warnings, bad


_FORMS = [
    ("multipart/form-data; boundary=xyz", b"garbage, not multipart at all"),
    ("multipart/form-data", b"--xyz\r\n\r\n"),
    (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\n\xff\xfe\r\n--xyz--\r\n',
    ),
    (
        "multipart/form-data; boundary=xyz",
        b'--xyz\r\nContent-Disposition: form-data; name="u"\r\nContent-Type: text/plain; charset=klingon\r\n\r\n'
        b"abc\r\n--xyz--\r\n",
    ),
    ("application/x-www-form-urlencoded", b"username=\xff\xfe&password=x"),
    ("application/x-www-form-urlencoded; charset=klingon", b"username=a"),
    ("application/x-www-form-urlencoded; charset=utf-16", b"username=ab"),  # odd length: not UTF-16
]


@pytest.mark.parametrize(("content_type", "body"), _FORMS)
@pytest.mark.parametrize("path", ["/login", "/sessions"])
async def test_malformed_form_bodies_get_400(client, caplog, path: str, content_type: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING)
    resp = await client.post(path, data=body, headers={"Content-Type": content_type}, allow_redirects=False)
    assert resp.status == 400
    assert "Die Anfrage konnte nicht bearbeitet werden" in await resp.text()
    warnings, bad = _log_lines(caplog)
    assert len(warnings) == 1 and "malformed request" in warnings[0].getMessage()
    assert not bad


_JSON = [
    ("application/json", b"[" * 100_000 + b"]" * 100_000),
    ("application/json", b'{"sdp": ' + b"[" * 50 + b"]" * 50 + b"}"),
    ("application/json", b'{"sdp": "\xff\xfe"}'),
    ("application/json; charset=klingon", b'{"sdp": "v=0"}'),
    ("application/json", b'{"sdp": "v=0\\ud800"}'),
    ("application/json", b'{"sdp\\udfff": 1}'),
]


@pytest.mark.parametrize(("content_type", "body"), _JSON)
@pytest.mark.parametrize("path", ["/api/check/offer", "/api/check/result"])
async def test_malformed_json_gets_a_json_error(client, caplog, path: str, content_type: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.WARNING)
    resp = await client.post(path, data=body, headers={"Content-Type": content_type})
    assert resp.status == 400
    assert (await resp.json())["error"]["code"] == "bad_request"
    warnings, bad = _log_lines(caplog)
    assert len(warnings) == 1 and not bad


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("offer", {"sdp": SDP + "a=x:\ud800\r\n"}),
        ("answer", {"sdp": "\udfff"}),
        ("candidate", {"candidate": "candidate:1 1 udp 1 192.0.2.1 9 typ host\ud800"}),
        ("candidate", {"candidate": "", "sdpMid": "\ud800"}),
        ("candidate", {"candidate": "", "usernameFragment": "\udc00x"}),
    ],
)
async def test_lone_surrogates_in_signalling_are_bad_payloads(  # type: ignore[no-untyped-def]
    server,
    new_client,
    closing,  # noqa: F811
    caplog,
    event: str,
    payload: dict[str, Any],  # noqa: F811
) -> None:
    ctx = await _call(server, new_client, closing)
    caplog.set_level(logging.WARNING)
    ack = await ctx["caseworker"].call(event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == "bad_payload"
    warnings, bad = _log_lines(caplog)
    assert len(warnings) == 1 and not bad
    # The call carries on.
    assert await ctx["caseworker"].call("offer", {"sdp": SDP}) == {"ok": True}
