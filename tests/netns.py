"""A network namespace of a test's own, joined to the host by a veth pair, to cut one browser off.

Only what the test makes is touched: a namespace and a veth pair with fresh random names,
addresses from a private /30 chosen at random from 10.231.0.0/16, routes only on that
pair. ``cut()`` / ``restore()`` take the namespace's end of the pair down and up, as a
phone losing and finding its Wi-Fi. Everything is removed in ``close()`` (also when the
test failed), and deleting the namespace deletes its end of the pair with it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from load_tests.browser import CHROMIUM
from tests.conftest import need

__all__ = ["Netns", "netns"]


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


class Netns:
    """One namespace ``name`` whose only way out is ``inner`` (``inner_ip``) to ``host_ip`` on the host."""

    def __init__(self) -> None:
        tag = secrets.token_hex(3)
        self.name = f"vbdrop{tag}"
        self.host_if = f"vbh{tag}"  # interface names: 15 characters at most
        self.inner_if = f"vbn{tag}"
        base = secrets.randbelow(1 << 14) * 4  # a /30 inside 10.231.0.0/16
        self.host_ip = f"10.231.{base >> 8}.{(base & 0xFF) + 1}"
        self.inner_ip = f"10.231.{base >> 8}.{(base & 0xFF) + 2}"

    def open(self) -> None:
        _ip("netns", "add", self.name)
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.inner_if)
        _ip("link", "set", self.inner_if, "netns", self.name)
        _ip("addr", "add", f"{self.host_ip}/30", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        _ip("-n", self.name, "addr", "add", f"{self.inner_ip}/30", "dev", self.inner_if)
        _ip("-n", self.name, "link", "set", self.inner_if, "up")
        _ip("-n", self.name, "link", "set", "lo", "up")

    def cut(self) -> None:
        _ip("-n", self.name, "link", "set", self.inner_if, "down")

    def restore(self) -> None:
        _ip("-n", self.name, "link", "set", self.inner_if, "up")

    def chromium_wrapper(self, directory: Path) -> Path:
        """A script that starts Chromium inside the namespace (Playwright's executable_path)."""
        script = directory / "chromium-in-netns"
        script.write_text(f'#!/bin/sh\nexec ip netns exec {self.name} {CHROMIUM} "$@"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        return script

    def close(self) -> None:
        for args in (("netns", "del", self.name), ("link", "del", self.host_if)):
            subprocess.run(["ip", *args], capture_output=True, timeout=10)  # may already be gone


@contextmanager
def netns() -> Iterator[Netns]:
    """A fresh namespace, removed afterwards whatever happened."""
    need(os.geteuid() == 0 and shutil.which("ip") is not None, "root and iproute2 (network namespaces)")
    made = Netns()
    try:
        made.open()
        yield made
    finally:
        made.close()
