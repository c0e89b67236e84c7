"""``python -m ductplanner``: the same as the ``ductplanner`` command."""

import sys

from .cli import main

sys.exit(main())
