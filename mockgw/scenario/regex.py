"""Scenario regexes: RE2 syntax, matched in time linear in the text.

Python's ``re`` backtracks: ``^(a+)+$`` on 26 characters of client text held the event loop for seconds,
and every other client with it. RE2 (the ``google-re2`` package) never backtracks, so any regex in any
scenario matches any request text in time proportional to its length. The price is RE2's syntax: no
backreferences, lookahead, lookbehind, atomic groups, possessive quantifiers or conditionals. A scenario
using one is refused at load, and the message names the construct (docs/scenarios.md, "Regexes").
"""

from __future__ import annotations

import re2

# RE2's own words for what it refuses (the start of its message) → what to tell a scenario's author.
_UNSUPPORTED = (
    ("invalid perl operator: (?=", "lookahead (?=…)"),
    ("invalid perl operator: (?!", "negative lookahead (?!…)"),
    ("invalid perl operator: (?<=", "lookbehind (?<=…)"),
    ("invalid perl operator: (?<!", "negative lookbehind (?<!…)"),
    ("invalid perl operator: (?>", "the atomic group (?>…)"),
    ("invalid perl operator: (?P=", "the named backreference (?P=name)"),
    ("invalid perl operator: (?(", "the conditional (?(…)…)"),
    ("bad repetition operator: ++", "the possessive quantifier ++"),
    ("bad repetition operator: *+", "the possessive quantifier *+"),
    ("bad repetition operator: ?+", "the possessive quantifier ?+"),
)
_RE2_NOTE = 'scenario regexes are RE2 syntax, matched in linear time; see docs/scenarios.md, "Regexes"'


class RegexError(ValueError):
    """A regex RE2 cannot take; the message names the construct and why."""


def _explain(source: str, reason: str) -> str:
    # (?P=name) is reported by RE2 as "(?P": look at the source to tell it from a bad named group.
    if reason == "invalid perl operator: (?P" and "(?P=" in source:
        reason = "invalid perl operator: (?P="
    for prefix, construct in _UNSUPPORTED:
        if reason.startswith(prefix):
            return f"bad regex {source!r}: {construct} is not supported ({_RE2_NOTE})"
    escape = reason.removeprefix("invalid escape sequence: ")
    if escape != reason and len(escape) == 2 and escape[1] in "123456789":
        return f"bad regex {source!r}: the backreference {escape} is not supported ({_RE2_NOTE})"
    return f'bad regex {source!r}: {reason} (RE2 syntax; see docs/scenarios.md, "Regexes")'


class Regex:
    """A compiled scenario regex; ``search(text)`` tells whether it is found anywhere in ``text``."""

    __slots__ = ("_compiled", "ignore_case", "source")

    def __init__(self, source: str, ignore_case: bool = False) -> None:
        """Compile ``source``; raise RegexError naming what RE2 cannot take."""
        self.source = source
        self.ignore_case = ignore_case
        options = re2.Options()
        options.log_errors = False  # RE2 would print each refusal on stderr, outside mockgw's log format
        options.case_sensitive = not ignore_case
        try:
            self._compiled = re2.compile(source, options)
        except re2.error as exc:
            reason = exc.args[0] if exc.args else "not a regex"
            text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
            raise RegexError(_explain(source, text)) from None
        except UnicodeEncodeError:
            raise RegexError(f"bad regex {source!r}: not UTF-8 text") from None

    def search(self, text: str) -> bool:
        """Whether the regex is found anywhere in ``text`` (``re.search``'s meaning)."""
        # Matched as UTF-8 bytes: any text (a lone surrogate too) encodes, and RE2 reads bytes without a copy.
        return self._compiled.search(text.encode("utf-8", "surrogatepass")) is not None

    # Compared by what was written (a scenario read back equals the one loaded, as re.Pattern did).
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Regex) and (other.source, other.ignore_case) == (self.source, self.ignore_case)

    def __hash__(self) -> int:
        return hash((self.source, self.ignore_case))

    def __repr__(self) -> str:
        return f"Regex({self.source!r}, ignore_case={self.ignore_case})"
