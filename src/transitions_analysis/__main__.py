"""``python -m transitions_analysis`` runs the CLI."""

import sys

from .cli import main

sys.exit(main())
