"""The Anthropic Messages API face: wire types, validation and rendering."""
