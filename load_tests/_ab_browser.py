import asyncio
import json
import sys
import tempfile
from pathlib import Path

from load_tests import browser, targets


async def main(n):
    with tempfile.TemporaryDirectory() as tmp:
        t = await targets.ours(Path(tmp) / "ours", 2, waiting=n)
        await t.start()
        try:
            r = await browser.admissions(t, t.waiting[:n])
            print(json.dumps(r))
        finally:
            await t.stop()


asyncio.run(main(int(sys.argv[1])))
