"""A small YAML writer for scenario data: block style, strings quoted only where YAML would misread them.

The recorder (scenario/record.py) and the inspector's export (server/export.py) write scenarios with it, and
read each one back with the loader before handing it out. Written by hand rather than with yaml.dump so that
the output reads like the bundled scenarios (literal blocks for long text, plain scalars where safe, keys in
the order given) and so that nothing but scenario/loader.py imports yaml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

# Plain (unquoted) scalars: a conservative set that YAML reads back as the same string.
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_./-]*(?: [A-Za-z0-9_./,'!?()-]+)*")
_NOT_PLAIN = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
# Characters YAML cannot hold literally (non-printable), or reads as line breaks (NEL, LS, PS, BOM).
_ESCAPE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def _quoted(text: str) -> str:
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif _ESCAPE.fullmatch(ch):
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            # YAML 1.1 (PyYAML) reads 1e-05 as a string: a float needs a dot in its mantissa.
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent if exponent[0] in '+-' else '+' + exponent}"
        return text
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _NOT_PLAIN:
        return text
    return _quoted(text)


def _literal_lines(text: str) -> list[str] | None:
    """The lines of a literal block (``|``) for ``text``, or None when a block cannot hold it exactly."""
    if "\n" not in text or "\r" in text or _ESCAPE.search(text):
        return None
    body = text.rstrip("\n")
    first = next((line for line in body.split("\n") if line), "")
    if not body.strip() or first[:1] in (" ", "\t"):
        return None  # the block's indentation would be misread
    trailing = len(text) - len(body)
    indicator = "|-" if trailing == 0 else "|" if trailing == 1 else "|+"
    return [indicator, *body.split("\n"), *[""] * (trailing - 1 if trailing > 1 else 0)]


def _key(key: Any) -> str:
    return _scalar(str(key))


def _emit(value: Any, indent: int, out: list[str], literal_blocks: bool, prefix: str) -> None:
    """Append ``value`` at ``indent``; ``prefix`` is what precedes it on its first line (``key:``, ``-``)."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        if prefix.endswith(":"):
            # Under a key the mapping starts on the next line; as a list item ("- ") on the same one.
            out.append(prefix)
            prefix = pad
        first = True
        for key, item in value.items():
            lead = prefix if first else pad
            first = False
            _emit(item, indent + 2, out, literal_blocks, f"{lead}{_key(key)}:")
        return
    if isinstance(value, list) and value:
        if prefix.strip():
            out.append(prefix)
            prefix = pad
        for item in value:
            if isinstance(item, dict) and item:
                # "- key: value": the mapping's keys line up two columns in.
                _emit(item, indent + 2, out, literal_blocks, f"{prefix}- ")
            else:
                _emit(item, indent + 2, out, literal_blocks, f"{prefix}-")
            prefix = pad
        return
    sep = "" if prefix.endswith(" ") or not prefix else " "
    if isinstance(value, dict | list):
        out.append(f"{prefix}{sep}{'{}' if isinstance(value, dict) else '[]'}")
        return
    lines = _literal_lines(value) if literal_blocks and isinstance(value, str) else None
    if lines is None:
        out.append(f"{prefix}{sep}{_scalar(value)}")
        return
    out.append(f"{prefix}{sep}{lines[0]}")
    out.extend(f"{' ' * indent}{line}" if line else "" for line in lines[1:])


def dump_yaml(data: Mapping[str, Any], literal_blocks: bool = True) -> str:
    """Block-style YAML for JSON-like data (dicts, lists, str, int, float, bool, None).

    Strings are plain when that is unambiguous, literal blocks when they span lines (``literal_blocks``),
    double-quoted otherwise, with every character YAML cannot hold escaped.
    """
    out: list[str] = []
    for key, item in data.items():
        _emit(item, 2, out, literal_blocks, f"{_key(key)}:")
    return "\n".join(out) + "\n"
