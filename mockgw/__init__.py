"""mockgw: a local, offline mock of an Anthropic-compatible LLM gateway."""

__version__ = "0.1.0"
