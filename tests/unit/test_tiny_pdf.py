"""tests/pdf.py writes the PDF a test sends as the user's: its cross-reference table must point at each object.

(Checked once with a PDF reader, pypdf in strict mode, which read both pages' text back; this keeps the
structure honest without making a PDF library a dependency.)
"""

from __future__ import annotations

import re

import pytest

from tests.pdf import tiny_pdf


def found(pattern: bytes, pdf: bytes) -> bytes:
    match = re.search(pattern, pdf, re.DOTALL)
    assert match is not None, pattern
    return match.group(1)


def test_every_xref_entry_and_startxref_point_where_they_say() -> None:
    pdf = tiny_pdf(["First page.", "Second (page) \\ with escapes."])
    startxref = int(found(rb"startxref\n(\d+)\n%%EOF\n$", pdf))
    assert pdf[startxref:].startswith(b"xref\n0 8\n")
    entries = re.findall(rb"(\d{10}) 00000 n \n", pdf[startxref:])
    assert len(entries) == 7  # catalog, page tree, font, and a page and its content per page
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj\n" % number)


def test_each_page_shows_its_line_with_the_literal_escaped() -> None:
    pdf = tiny_pdf(["Rent (monthly) is 1,200 \\ euros."])
    assert b"(Rent \\(monthly\\) is 1,200 \\\\ euros.) Tj" in pdf
    assert int(found(rb"<< /Length (\d+) >>", pdf)) == len(found(rb"stream\n(.*?)\nendstream", pdf))


def test_a_pdf_needs_a_page() -> None:
    with pytest.raises(ValueError, match="at least one page"):
        tiny_pdf([])
