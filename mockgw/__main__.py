"""``python -m mockgw``: the same as the ``mockgw`` command."""

import sys

from mockgw.cli.main import main

sys.exit(main())
