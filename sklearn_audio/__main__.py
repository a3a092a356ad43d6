"""``python -m sklearn_audio``: the same as the ``sklearn-audio`` command."""

import sys

from .cli import main

sys.exit(main())
