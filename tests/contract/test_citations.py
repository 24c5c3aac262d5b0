"""Citations: a text block citing the request's documents, by index and quote, checked when the answer is made.

Read through the official Python SDK: created, and streamed (``citations_delta`` events, folded by the SDK's
accumulator into the same message, and seen by its stream helper as ``citation`` events).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from anthropic.types import Message

from mockgw.scenario.loader import ScenarioError
from mockgw.testing import MockGateway

GatewayFactory = Callable[..., MockGateway]
MODEL = "claude-sonnet-4-6"
FACTS = "The grass is green. The sky is blue."
WEB = {
    "type": "web_search_result_location",
    "url": "https://example.com/sky",
    "title": "Sky",
    "encrypted_index": "EqQB",
    "cited_text": "The sky is blue.",
}

SCENARIO = {
    "rules": [
        {"match": {"last_user": "purple"}, "reply": [{"text": "x", "citations": [{"document": 0, "quote": "purple"}]}]},
        {"match": {"last_user": "third"}, "reply": [{"text": "x", "citations": [{"document": 3, "quote": "green"}]}]},
        {
            "reply": [
                {"text": "According to the documents, "},
                {"text": "the grass is green", "citations": [{"document": 0, "quote": "The grass is green."}]},
                {"text": ", step two comes next", "citations": [{"document": 1, "quote": "Step two"}]},
                {"text": ", the report agrees", "citations": [{"document": 2, "quote": "Summary", "page": 3}]},
                {"text": " and the web too.", "citations": [WEB]},
            ]
        },
    ]
}


def documents(question: str) -> list[dict[str, Any]]:
    pdf = base64.b64encode(b"%PDF-1.4 not really").decode()
    return [
        {
            "role": "user",
            "content": [
                {
                    "type": "document",
                    "title": "Facts",
                    "citations": {"enabled": True},
                    "source": {"type": "text", "media_type": "text/plain", "data": FACTS},
                },
                {
                    "type": "document",
                    "citations": {"enabled": True},
                    "source": {
                        "type": "content",
                        "content": [{"type": "text", "text": "Step one."}, {"type": "text", "text": "Step two."}],
                    },
                },
                {
                    "type": "document",
                    "title": "Report",
                    "citations": {"enabled": True},
                    "source": {"type": "base64", "media_type": "application/pdf", "data": pdf},
                },
                {"type": "text", "text": question},
            ],
        }
    ]


@pytest.fixture
def client(gateway: GatewayFactory) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway(SCENARIO).url, api_key="mockgw-test", max_retries=0)


def params(question: str) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 1024, "messages": documents(question)}


def created_and_streamed(client: anthropic.Anthropic) -> tuple[Message, Message, list[str]]:
    created = client.messages.create(**params("What do they say?"))
    seen: list[str] = []
    with client.messages.stream(**params("What do they say?")) as events:
        for event in events:
            if event.type == "citation":
                seen.append(event.citation.type)
        streamed = events.get_final_message()
    return created, streamed, seen


def test_the_streamed_citations_fold_into_the_same_message(client: anthropic.Anthropic) -> None:
    created, streamed, seen = created_and_streamed(client)
    assert streamed.model_dump(exclude={"id"}) == created.model_dump(exclude={"id"})
    assert seen == ["char_location", "content_block_location", "page_location", "web_search_result_location"]


def test_each_document_kind_gets_its_location(client: anthropic.Anthropic) -> None:
    message, _, _ = created_and_streamed(client)
    blocks = [b for b in message.content if b.type == "text"]
    assert blocks[0].citations is None  # uncited text carries none
    char = blocks[1].citations[0] if blocks[1].citations else None
    assert char is not None and char.type == "char_location"
    assert (char.start_char_index, char.end_char_index, char.document_title) == (0, 19, "Facts")
    assert FACTS[char.start_char_index : char.end_char_index] == char.cited_text
    block = blocks[2].citations[0] if blocks[2].citations else None
    assert block is not None and block.type == "content_block_location"
    assert (block.document_index, block.start_block_index, block.end_block_index) == (1, 1, 2)
    page = blocks[3].citations[0] if blocks[3].citations else None
    assert page is not None and page.type == "page_location"
    assert (page.document_index, page.start_page_number, page.end_page_number) == (2, 3, 4)
    web = blocks[4].citations[0] if blocks[4].citations else None
    assert web is not None and web.type == "web_search_result_location" and web.url == WEB["url"]


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("purple?", "a citation quotes 'purple', which document 0 does not contain"),
        ("the third", r"names document 3, but the request has 3 document\(s\)"),
    ],
)
def test_a_citation_that_does_not_fit_the_request_is_a_400(
    client: anthropic.Anthropic, question: str, message: str
) -> None:
    with pytest.raises(anthropic.BadRequestError, match=message):
        client.messages.create(**params(question))


@pytest.mark.parametrize(
    "citation",
    [{"document": "zero", "quote": "x"}, {"document": 0}, {"document": 0, "quote": "x", "line": 2}],
)
def test_a_malformed_citation_shorthand_is_refused_at_load(gateway: GatewayFactory, citation: dict[str, Any]) -> None:
    with pytest.raises(ScenarioError, match="citation shorthand"):
        gateway({"rules": [{"reply": [{"text": "x", "citations": [citation]}]}]})
