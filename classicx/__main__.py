"""``python -m classicx`` runs the ``classicx`` command."""

import sys

from .cli import main

sys.exit(main())
