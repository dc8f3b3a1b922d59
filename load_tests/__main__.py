"""`make bench`: ``python -m load_tests [--size full|small|tiny] [--targets ours,bare,node]``."""

import sys

from load_tests.run import main

sys.exit(main(sys.argv[1:]))
