"""Sum py-spy's raw stacks (``--format raw``) by function and by package.

``python -m load_tests.stacks FILE [N] [WITHOUT,...]`` prints the share of samples in which each
function is on the stack (inclusive) and at the top (self), and the self share per
package: where the server's CPU goes while it relays.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:]*)(?::\d+)?\)$")
PACKAGES = (
    ("signaling/", "ours: signaling"),
    ("web/", "ours: web"),
    ("socketio/", "python-socketio"),
    ("engineio/", "python-engineio"),
    ("aiohttp/", "aiohttp"),
    ("asyncio/", "asyncio"),
    ("uvloop", "uvloop"),
    ("json/", "json"),
    ("bidict/", "bidict"),
    ("load_tests/", "bare relay"),
)


# Leaves that stand for C code below them: uvloop's loop (polling, reads, callbacks in C)
# has no Python frame of its own, and a frame write's time is mostly the send syscall.
C_LEAVES = {
    "run_app": "event loop in C (uvloop: epoll, reads, C callbacks)",
    "WebSocketWriter._write_websocket_frame": "aiohttp frame write (mostly the send syscall)",
}


def package(path: str, func: str = "") -> str:
    if func in C_LEAVES:
        return C_LEAVES[func]
    for needle, name in PACKAGES:
        if needle in path:
            return name
    return "other"


def summarise(text: str, top: int = 30, without: tuple[str, ...] = ()) -> str:
    """``without``: drop the samples whose stack names any of these (e.g. the connect phase)."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit() or any(w in stack for w in without):
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        names = []
        for frame in frames:
            match = _FRAME.match(frame)
            func, path = (match["func"], match["file"]) if match else (frame, "")
            names.append((f"{func} ({path.split('site-packages/')[-1]})", path))
        for name in {n for n, _ in names}:
            inclusive[name] += n
        if names:
            own[names[-1][0]] += n
            packages[package(names[-1][1], names[-1][0].split(" (")[0])] += n
    out = [f"{total} samples"]
    out.append("-- self time by package")
    out += [f"{100 * c / total:5.1f} %  {name}" for name, c in packages.most_common()]
    out.append("-- self time by function")
    out += [f"{100 * c / total:5.1f} %  {name}" for name, c in own.most_common(top)]
    out.append("-- on the stack (inclusive) by function")
    out += [f"{100 * c / total:5.1f} %  {name}" for name, c in inclusive.most_common(top)]
    return "\n".join(out)


@contextlib.asynccontextmanager
async def py_spy(out: Path, pid: int) -> AsyncIterator[None]:
    """py-spy records process ``pid`` into ``out`` (raw stacks, 500 Hz, non-blocking) meanwhile."""
    spy = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).parent / "py-spy"),
        *("record", "--format", "raw", "-r", "500", "--nonblocking"),
        *("-o", str(out), "--pid", str(pid)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        await asyncio.wait_for(spy.wait(), 30)


if __name__ == "__main__":
    with open(sys.argv[1]) as raw:
        top = int(sys.argv[2]) if len(sys.argv) > 2 else 30
        without = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else ()
        print(summarise(raw.read(), top, without))
