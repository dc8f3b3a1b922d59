"""`make bench`: not implemented yet (see docs/performance.md)."""

import sys

print("The benchmark harness is not implemented yet; see docs/performance.md.", file=sys.stderr)
sys.exit(1)
