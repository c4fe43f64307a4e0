"""``python -m sim`` is the ``parksim`` command."""

import sys

from sim.cli import main

sys.exit(main())
