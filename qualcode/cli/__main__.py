"""`python -m qualcode.cli …`, the same as the `qualcode` command."""

import sys

from qualcode.cli import main

sys.exit(main())
