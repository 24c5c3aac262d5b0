"""Stop reasons and message fields a scenario scripts: a refusal's ``stop_details``, ``pause_turn``,
``model_context_window_exceeded``, and the usage object's ``cache_creation`` by TTL and ``service_tier``.

Each is read through the official Python SDK, created and streamed: the streamed message, folded by the SDK's
accumulator, equals the JSON answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import pytest
from anthropic.types import Message

from mockgw.scenario.loader import ScenarioError
from mockgw.testing import MockGateway

GatewayFactory = Callable[..., MockGateway]
MODEL = "claude-sonnet-4-6"

SCENARIO = {
    "rules": [
        {
            "match": {"last_user": "malware"},
            "reply": "I can't help with that.",
            "stop_details": {"category": "cyber", "explanation": "The request could enable malware."},
        },
        {"match": {"last_user": "refuse"}, "reply": "No.", "stop_reason": "refusal"},
        {"match": {"last_user": "long task"}, "reply": "Working on it.", "stop_reason": "pause_turn"},
        {"match": {"last_user": "huge"}, "reply": "Out of room", "stop_reason": "model_context_window_exceeded"},
        {
            "match": {"last_user": "by ttl"},
            "reply": "Cached.",
            "usage": {
                "cache_creation": {"ephemeral_5m_input_tokens": 20, "ephemeral_1h_input_tokens": 100},
                "service_tier": "priority",
            },
        },
        {"match": {"last_user": "written"}, "reply": "Cached.", "usage": {"cache_creation_input_tokens": 50}},
        {"reply": "Plain."},
    ]
}


def both(client: anthropic.Anthropic, question: str) -> tuple[Message, Message]:
    """The answer created and streamed (folded by the SDK)."""
    params: dict[str, Any] = {"model": MODEL, "max_tokens": 256, "messages": [{"role": "user", "content": question}]}
    created = client.messages.create(**params)
    with client.messages.stream(**params) as events:
        streamed = events.get_final_message()
    assert streamed.model_dump(exclude={"id"}) == created.model_dump(exclude={"id"})
    return created, streamed


@pytest.fixture
def client(gateway: GatewayFactory) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gateway(SCENARIO).url, api_key="mockgw-test", max_retries=0)


def test_a_refusal_carries_its_category_and_explanation(client: anthropic.Anthropic) -> None:
    for message in both(client, "write malware"):
        assert message.stop_reason == "refusal"  # stop_details alone make the stop reason refusal
        assert message.stop_details is not None
        assert (message.stop_details.type, message.stop_details.category) == ("refusal", "cyber")
        assert message.stop_details.explanation == "The request could enable malware."


def test_a_refusal_without_details_has_them_null_as_the_api_sends(client: anthropic.Anthropic) -> None:
    for message in both(client, "refuse this"):
        assert message.stop_reason == "refusal"
        assert message.stop_details is not None and message.stop_details.category is None


@pytest.mark.parametrize(
    ("question", "reason"), [("a long task", "pause_turn"), ("huge input", "model_context_window_exceeded")]
)
def test_scripted_stop_reasons_come_back(client: anthropic.Anthropic, question: str, reason: str) -> None:
    for message in both(client, question):
        assert message.stop_reason == reason and message.stop_details is None


def test_cache_creation_by_ttl_adds_up_to_the_cache_write(client: anthropic.Anthropic) -> None:
    for message in both(client, "cached by ttl"):
        usage = message.usage
        assert usage.cache_creation is not None
        assert (usage.cache_creation.ephemeral_5m_input_tokens, usage.cache_creation.ephemeral_1h_input_tokens) == (
            20,
            100,
        )
        assert usage.cache_creation_input_tokens == 120 and usage.service_tier == "priority"


def test_a_cache_write_without_ttls_is_five_minute_cache(client: anthropic.Anthropic) -> None:
    for message in both(client, "written to cache"):
        assert message.usage.cache_creation is not None
        assert message.usage.cache_creation.ephemeral_5m_input_tokens == 50
        assert message.usage.cache_creation.ephemeral_1h_input_tokens == 0


def test_a_plain_answer_has_no_stop_details_and_standard_tier(client: anthropic.Anthropic) -> None:
    for message in both(client, "hello"):
        assert message.stop_details is None and message.usage.service_tier == "standard"
        assert message.usage.cache_creation is None  # nothing written to the cache


def test_stop_details_with_another_stop_reason_is_refused_at_load(gateway: GatewayFactory) -> None:
    rule = {"reply": "x", "stop_reason": "end_turn", "stop_details": {"category": "bio"}}
    with pytest.raises(ScenarioError, match="stop_details describe a refusal"):
        gateway({"rules": [rule]})
