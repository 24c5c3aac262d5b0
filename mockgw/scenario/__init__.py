"""The scenario language: schema (pydantic) and loader (the only place that reads YAML)."""

from mockgw.scenario.schema import Rule, Scenario

__all__ = ["Rule", "Scenario"]
