"""Citations: a text block's ``citations`` shorthand resolved against the request's documents.

A scenario cites a document of the request by its index (documents are numbered in the order they appear
in the messages, as the API numbers ``document_index``) and quotes a span of it:
``{document: 0, quote: "the grass is green"}``. When the answer is made the quote is looked up in that
document, and the citation the API would send is built: ``char_location`` for a plain-text document (the
character span), ``content_block_location`` for a custom-content document (the block index span),
``page_location`` for a PDF (``page``/``end_page``, default 1: mockgw does not read PDFs, so the quote is
sent as written). A quote that is not in the document, or an index the request has no document for, is a
``ReplyMismatch`` naming both, never a citation pointing nowhere. A citation written in full (with its
``type``: ``web_search_result_location``, ``search_result_location``, …) is sent as it is.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mockgw.core.request import Attachment
from mockgw.core.structured import ReplyMismatch
from mockgw.faces.anthropic.wire.blocks import (
    Base64PDFSourceParam,
    ContentSourceParam,
    DocumentBlockParam,
    FileSourceParam,
    PlainTextSourceParam,
    TextBlockParam,
)
from mockgw.faces.anthropic.wire.requests import MessageCreateParams
from mockgw.scenario.schema import ReplyBlock, TextReply


@dataclass(frozen=True)
class Document:
    """One document of the request, as a citation needs it."""

    index: int
    kind: str  # "text", "content", "pdf", or "other" (a URL source: nothing to read)
    title: str | None
    file_id: str | None
    text: str = ""
    blocks: tuple[str, ...] = ()  # a content document's text blocks


def documents(params: MessageCreateParams, attachments: Sequence[Attachment] = ()) -> list[Document]:
    """The request's documents in order: ``document_index`` counts them across every message."""
    files = {a.file_id: a for a in attachments}
    found: list[Document] = []
    for message in params.messages:
        if isinstance(message.content, str):
            continue
        for block in message.content:
            if not isinstance(block, DocumentBlockParam):
                continue
            source, index, title = block.source, len(found), block.title
            if isinstance(source, PlainTextSourceParam):
                found.append(Document(index, "text", title, None, text=source.data))
            elif isinstance(source, ContentSourceParam):
                content = source.content
                parts = (
                    (content,)
                    if isinstance(content, str)
                    else tuple(b.text if isinstance(b, TextBlockParam) else "" for b in content)
                )
                found.append(Document(index, "content", title, None, blocks=parts))
            elif isinstance(source, Base64PDFSourceParam):
                found.append(Document(index, "pdf", title, None))
            elif isinstance(source, FileSourceParam):
                attached = files.get(source.file_id)
                if attached is not None and attached.media_type == "application/pdf":
                    found.append(Document(index, "pdf", title or attached.filename, source.file_id))
                elif attached is not None:
                    found.append(
                        Document(index, "text", title or attached.filename, source.file_id, text=attached.text)
                    )
                else:
                    found.append(Document(index, "other", title, source.file_id))
            else:
                found.append(Document(index, "other", title, None))
    return found


def _cite(spec: dict[str, Any], docs: Sequence[Document]) -> dict[str, Any]:
    if "type" in spec:
        return spec  # written in full: sent as it is
    index, quote = spec.get("document"), spec.get("quote")
    if not isinstance(index, int) or not 0 <= index < len(docs):
        raise ReplyMismatch(
            f"a citation names document {index}, but the request has {len(docs)} document(s) "
            "(document_index counts document blocks across the messages, from 0)"
        )
    doc = docs[index]
    text = str(quote)
    common = {"cited_text": text, "document_index": index, "document_title": doc.title}
    if doc.file_id is not None:
        common["file_id"] = doc.file_id
    if doc.kind == "text":
        at = doc.text.find(text)
        if at < 0:
            raise ReplyMismatch(f"a citation quotes {text[:80]!r}, which document {index} does not contain")
        return {"type": "char_location", **common, "start_char_index": at, "end_char_index": at + len(text)}
    if doc.kind == "content":
        hits = [i for i, block in enumerate(doc.blocks) if text in block]
        if not hits:
            joined = "".join(doc.blocks)
            raise ReplyMismatch(
                f"a citation quotes {text[:80]!r}, which no block of document {index} contains"
                + (" (it spans blocks: quote within one)" if text in joined else "")
            )
        return {
            "type": "content_block_location",
            **common,
            "start_block_index": hits[0],
            "end_block_index": hits[0] + 1,
        }
    if doc.kind == "pdf":
        page = spec.get("page", 1)
        end = spec.get("end_page", page)
        return {"type": "page_location", **common, "start_page_number": page, "end_page_number": end + 1}
    raise ReplyMismatch(f"a citation names document {index}, whose source mockgw cannot read (a URL)")


def resolve(blocks: Sequence[ReplyBlock], docs: Sequence[Document]) -> tuple[ReplyBlock, ...]:
    """``blocks`` with every text block's citation shorthands resolved (ReplyMismatch when one does not fit)."""
    out: list[ReplyBlock] = []
    for block in blocks:
        if isinstance(block, TextReply) and block.citations:
            cited = [_cite(dict(c), docs) for c in block.citations]
            block = block.model_copy(update={"citations": cited})
        out.append(block)
    return tuple(out)
