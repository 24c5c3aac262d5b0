"""What the Vercel AI SDK (ai 7) makes of an answer's blocks (ai_sdk_outputs.mjs): ``sources``, ``Output.object``.

``@ai-sdk/anthropic`` (4.0.105, ``anthropic-messages-language-model``) fills ``result.sources`` from three
things in the answer, generated and streamed alike: each result of a ``web_search_tool_result`` (a ``url``
source with its title and ``pageAge``); each ``char_location`` / ``page_location`` citation of a document the
prompt sent with ``providerOptions.anthropic.citations.enabled`` (a ``document`` source titled as the
document, its location in ``providerMetadata.anthropic``); and a ``web_search_result_location`` citation when
the answer holds no search results. ``Output.object`` reads the JSON text ``json: auto`` generated from the
zod schema, through the Anthropic provider and through the gateway provider (``@ai-sdk/gateway``).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from mockgw.testing import MockGateway
from tests.clients.conftest import NODE_MODULES, require
from tests.pdf import tiny_pdf

GatewayFactory = Callable[..., MockGateway]
NodeRunner = Callable[..., Any]

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
LEASE = [  # the pages the bundled citations-pdf scenario quotes
    "The monthly rent is 1,200 euros, due on the first day of each month.",
    "Either party may end the lease with three months' written notice.",
]
NOTES = "Rent: 1,200 euros a month. Notice: three months."
WEB_CITATION = {
    "type": "web_search_result_location",
    "url": "https://example.com/lease-law",
    "title": "Lease law",
    "cited_text": "Notice periods are set by the lease.",
    "encrypted_index": "EqQBlease",
}
CITING = {
    "rules": [
        {"match": {"last_user": "web"}, "reply": [{"text": "Leases set notice.", "citations": [WEB_CITATION]}]},
        {"reply": [{"text": "The rent is 1,200 euros", "citations": [{"document": 0, "quote": "1,200 euros"}]}]},
    ]
}


def run(run_node: NodeRunner, gw: MockGateway, case: str, *args: str, document: bytes = b"") -> Any:
    env = {**gw.env(), "DOCUMENT_BASE64": base64.b64encode(document).decode()}
    return run_node("ai_sdk_outputs.mjs", env, case, *args)


def sources_of(out: dict[str, Any]) -> list[dict[str, Any]]:
    """The sources of the generated call, checked equal to the streamed call's (text and sources)."""
    assert out["streamed"] == out["generated"]
    sources: list[dict[str, Any]] = out["generated"]["sources"]
    return sources


def test_web_search_results_are_url_sources(gateway: GatewayFactory, run_node: NodeRunner) -> None:
    gw = gateway(SCENARIOS / "web-search.yaml")
    sources = sources_of(run(run_node, gw, "webSources"))

    assert sources == [
        {
            "type": "source",
            "sourceType": "url",
            "url": "https://example.com/mockgw",
            "title": "mockgw: a local mock of an Anthropic-compatible gateway",
            "providerMetadata": {"anthropic": {"pageAge": "2 days ago"}},
        },
        {
            "type": "source",
            "sourceType": "url",
            "url": "https://example.org/testing-llm-clients",
            "title": "Testing LLM clients without a model",
            "providerMetadata": {"anthropic": {"pageAge": None}},
        },
    ]
    assert gw.journal.last.body["tools"][0]["type"] == "web_search_20250305"


def test_pdf_page_citations_are_document_sources(gateway: GatewayFactory, run_node: NodeRunner) -> None:
    gw = gateway(SCENARIOS / "citations-pdf.yaml")
    out = run(run_node, gw, "documentSources", "application/pdf", "lease.pdf", document=tiny_pdf(LEASE))
    sources = sources_of(out)

    assert out["generated"]["text"].startswith("The lease sets two terms.")
    common = {"type": "source", "sourceType": "document", "mediaType": "application/pdf"}
    assert sources == [
        # The provider sends the file part's filename as the document's title; mockgw cites it back.
        {**common, "title": "lease.pdf", "filename": "lease.pdf", "providerMetadata": {"anthropic": page}}
        for page in (
            {"citedText": LEASE[0], "startPageNumber": 1, "endPageNumber": 2},
            {"citedText": LEASE[1], "startPageNumber": 2, "endPageNumber": 3},
        )
    ]
    document = gw.journal.last.body["messages"][0]["content"][0]
    assert (document["type"], document["citations"], document["source"]["type"]) == (
        "document",
        {"enabled": True},
        "base64",
    )


def test_text_document_citations_are_document_sources_with_the_characters(
    gateway: GatewayFactory, run_node: NodeRunner
) -> None:
    gw = gateway(CITING)
    out = run(run_node, gw, "documentSources", "text/plain", "notes.txt", document=NOTES.encode())

    at = NOTES.index("1,200 euros")
    assert sources_of(out) == [
        {
            "type": "source",
            "sourceType": "document",
            "mediaType": "text/plain",
            "title": "notes.txt",
            "filename": "notes.txt",
            "providerMetadata": {
                "anthropic": {"citedText": "1,200 euros", "startCharIndex": at, "endCharIndex": at + len("1,200 euros")}
            },
        }
    ]


def test_a_web_citation_without_search_results_is_a_url_source(gateway: GatewayFactory, run_node: NodeRunner) -> None:
    out = run(run_node, gateway(CITING), "citedText", "What does the web say?")

    assert sources_of(out) == [
        {
            "type": "source",
            "sourceType": "url",
            "url": WEB_CITATION["url"],
            "title": WEB_CITATION["title"],
            "providerMetadata": {
                "anthropic": {
                    "citedText": WEB_CITATION["cited_text"],
                    "encryptedIndex": WEB_CITATION["encrypted_index"],
                }
            },
        }
    ]


@pytest.mark.parametrize(
    ("case", "path", "schema_at"),
    [
        ("outputObject", "/v1/messages", ("output_config", "format", "schema")),
        ("outputObjectGateway", "/v4/ai/language-model", ("responseFormat", "schema")),
    ],
    ids=["anthropic", "gateway"],
)
def test_output_object_parses_json_auto_generated_from_the_zod_schema(
    gateway: GatewayFactory, run_node: NodeRunner, case: str, path: str, schema_at: tuple[str, ...]
) -> None:
    if case == "outputObjectGateway":
        require((NODE_MODULES / "@ai-sdk/gateway" / "package.json").is_file(), "@ai-sdk/gateway is missing")
    gw = gateway(SCENARIOS / "structured-output.yaml")
    out = run(run_node, gw, case)

    assert out["valid"] == [True, True]  # zod's own safeParse, after the SDK's validation
    assert [(e.path, e.rule) for e in gw.journal] == [(path, "generated")] * 2
    schema: Any = gw.journal.last.body
    for key in schema_at:
        schema = schema[key]
    for value in (out["generated"], out["streamed"]):
        jsonschema.validate(value, schema, format_checker=jsonschema.FormatChecker())
        assert value["email"].endswith("@example.com")  # the format's plausible value, where the pattern allows it
