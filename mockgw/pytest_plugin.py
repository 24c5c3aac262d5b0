"""pytest plugin for mockgw (registered through the ``pytest11`` entry point)."""
