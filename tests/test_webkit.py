"""Safari's engine for the recipient's pages: WebKitGTK's MiniBrowser through WebKitWebDriver (Selenium).

Landing page, consent and waiting room, with WebKit's mock camera and microphone, under an
Xvfb of the test's own. This WebKitGTK build has no ``RTCPeerConnection`` (a call cannot
start in it); what a browser without WebRTC is told is another test's subject.
Selenium is synchronous: its calls run in a thread so that the app keeps serving.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import create_session, login, need

pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(120),
    # Selenium's own WebKitGTK driver still uses its deprecated argument (selenium 4.x).
    pytest.mark.filterwarnings("ignore:setting remote_server_addr:DeprecationWarning"),
]

DRIVER = "/usr/bin/WebKitWebDriver"
MINIBROWSER = Path("/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser")
XVFB = shutil.which("Xvfb") or "/usr/bin/Xvfb"


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """An X server on a display number Xvfb chooses itself (free by construction)."""
    need(Path(XVFB).exists(), "Xvfb")
    read, write = os.pipe()
    proc = subprocess.Popen(
        [XVFB, "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()  # Xvfb writes it once it accepts connections
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def webkit(display: str) -> Iterator[Any]:
    """MiniBrowser with mock capture devices; the sandbox switch only in the driver's environment."""
    need(Path(DRIVER).exists() and MINIBROWSER.exists(), "WebKitWebDriver and MiniBrowser (webkit2gtk-driver)")
    from selenium import webdriver

    options = webdriver.WebKitGTKOptions()
    options.binary_location = str(MINIBROWSER)
    for arg in ("--automation", "--enable-media-stream=true", "--enable-mock-capture-devices=true"):
        options.add_argument(arg)
    # Without it the web process cannot open the X display in this container.
    env = {**os.environ, "DISPLAY": display, "WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS": "1"}
    service = webdriver.WebKitGTKService(executable_path=DRIVER, env=env)
    driver = webdriver.WebKitGTK(options=options, service=service)
    driver.set_script_timeout(20)
    yield driver
    driver.quit()


def _journey(driver: Any, url: str) -> dict[str, Any]:
    """Landing page → consent → waiting room, as a person taps through them; what the pages showed."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 20)
    seen: dict[str, Any] = {}
    driver.get(url)
    wait.until(ec.url_matches(r"/s/[^/]+$"))
    seen["landing"] = driver.find_element(By.TAG_NAME, "h1").text
    seen["secure"] = driver.execute_script("return window.isSecureContext")
    driver.find_element(By.CSS_SELECTOR, "a.btn-primary").click()
    wait.until(ec.url_contains("/consent"))
    # The address changes before the new page's elements can be found: wait for them.
    wait.until(ec.element_to_be_clickable((By.ID, "agree"))).click()
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "button[value=agree]"))).click()
    wait.until(ec.url_contains("/wait"))
    # The waiting room's own module and socket.io client run: the live position arrives.
    wait.until(lambda d: "1" in d.find_element(By.ID, "position").text)
    seen["position"] = driver.find_element(By.ID, "position").text
    # WebKit's mock camera and microphone, as the call page would ask for them.
    seen["tracks"] = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.mediaDevices.getUserMedia({audio: true, video: {facingMode: 'user'}})"
        ".then((s) => { const k = s.getTracks().map((t) => t.kind).sort();"
        " s.getTracks().forEach((t) => t.stop()); done(k); })"
        ".catch((e) => done('error ' + e.name));"
    )
    seen["url"] = driver.current_url
    return seen


async def test_landing_consent_and_waiting_room_in_webkit(webkit, server, new_client) -> None:  # type: ignore[no-untyped-def]
    caseworker = await new_client()
    csrf = await login(caseworker)
    session_id, join_path = await create_session(caseworker, csrf)
    seen = await asyncio.to_thread(_journey, webkit, str(server.make_url(join_path)))
    assert seen["landing"] and seen["secure"] is True
    assert seen["url"].endswith(f"/s/{session_id}/wait")
    assert "1" in seen["position"]
    assert seen["tracks"] == ["audio", "video"]
