"""``mockgw serve | validate | schema | scenarios | exec | record``: thin over the app factory and the loader."""
