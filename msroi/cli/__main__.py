"""``python -m msroi.cli``: the ``msroi`` command."""

import sys

from msroi.cli import main

sys.exit(main())
