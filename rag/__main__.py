"""``python -m rag``: the command line."""

import sys

from rag.cli import main

sys.exit(main())
