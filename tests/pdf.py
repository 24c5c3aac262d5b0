"""A small, real PDF written by hand, for tests that send a user's PDF (no PDF library needed).

mockgw never reads a PDF's text (a citation's quote is sent as written), but a test that plays "the user
sends a PDF" should send one: the bytes here are a well-formed PDF 1.4 file (catalog, page tree, one
Helvetica line per page, and a cross-reference table whose offsets are counted, not guessed), which a PDF
reader opens showing each page's line.
"""

from __future__ import annotations

from collections.abc import Sequence


def _literal(text: str) -> bytes:
    """``text`` as a PDF literal string: backslash and parentheses escaped; latin-1, as Helvetica's encoding."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def tiny_pdf(pages: Sequence[str]) -> bytes:
    """A PDF with one page per item of ``pages``, each showing that line of text."""
    if not pages:
        raise ValueError("a PDF needs at least one page")
    # Objects 1 (catalog), 2 (page tree) and 3 (font), then a page and its content stream per page.
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, text in enumerate(pages):
        content = b"BT /F1 12 Tf 72 720 Td " + _literal(text) + b" Tj ET"
        page = (
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>"
        )
        objects.append(page.encode())
        objects.append(b"<< /Length %d >>\nstream\n%b\nendstream" % (len(content), content))

    # The header's second line holds bytes above 127, as the spec advises, so tools treat the file as binary.
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%b\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)  # each entry exactly 20 bytes
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
