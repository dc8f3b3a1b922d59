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
import json
import sys
import tempfile
from pathlib import Path

import aiohttp

from load_tests import harness, stacks, targets


async def main(calls: int, out: Path, name: str) -> None:
    with tempfile.TemporaryDirectory(prefix="vb-profile-") as tmp:
        target = await targets.ours(Path(tmp) / "ours", calls + 5) if name == "ours" else targets.bare()
        await target.start()
        try:
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar()
            ) as http:
                result = await harness.setups(target, http, calls, around=lambda: stacks.py_spy(out, target.pid))
        finally:
            await target.stop()
    print(json.dumps({k: v for k, v in result.items() if k != "failures"}))
    print(stacks.summarise(out.read_text(), 25))


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(
        main(
            int(args[0]) if args else 200,
            Path(args[1] if len(args) > 1 else "setups.raw"),
            args[2] if len(args) > 2 else "ours",
        )
    )
