"""py-spy on the server during simultaneous call set-ups: where its time goes.

``python -m load_tests.profile_setups [CALLS] [OUT] [ours|bare]`` starts (a) (or (b)) as
``make bench`` does, loads the call pages (each hands its socket a pass) and runs a few
set-ups to warm up, then ``CALLS`` at once while py-spy records the server (raw stacks,
500 Hz, non-blocking; only the timed set-ups). It prints where the samples were, by
package and by function (``load_tests.stacks``), and the server's CPU time per set-up.
Run it from another checkout to profile that build.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from load_tests import harness, stacks, targets


async def main(calls: int, out: Path, name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="vb-profile-") as tmp:
        target = await targets.ours(Path(tmp) / "ours", calls + 5) if name == "ours" else targets.bare()
        await target.start()
        spent: list[float] = []

        @contextlib.asynccontextmanager
        async def profiled() -> AsyncIterator[None]:
            spy = await asyncio.create_subprocess_exec(
                str(Path(sys.executable).parent / "py-spy"),
                *("record", "--format", "raw", "-r", "500", "--nonblocking"),
                *("-o", str(out), "--pid", str(target.pid)),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            await asyncio.sleep(1)  # py-spy attaches
            cpu = harness.cpu_ms(target.pid)
            try:
                yield
            finally:
                spent.append(harness.cpu_ms(target.pid) - cpu)
                spy.send_signal(signal.SIGINT)
                await asyncio.wait_for(spy.wait(), 30)

        try:
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar()
            ) as http:
                result = await harness.setups(target, http, calls, around=profiled)
        finally:
            await target.stop()
    result["server_cpu_ms_per_set_up"] = round(spent[0] / calls, 2)
    print(json.dumps({k: v for k, v in result.items() if k != "failures"}))
    print(stacks.summarise(out.read_text(), 25))


if __name__ == "__main__":
    asyncio.run(
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, Path(sys.argv[2] if len(sys.argv) > 2 else "setups.raw"))
    )
