"""``python -m mockgw``: the same as the ``mockgw`` command."""

from mockgw.cli.main import run

run()
