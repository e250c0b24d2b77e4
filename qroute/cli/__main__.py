"""`python -m qroute.cli`."""

import sys

from qroute.cli.app import main

sys.exit(main())
