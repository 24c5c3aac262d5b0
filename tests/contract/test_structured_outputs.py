"""Structured outputs through the Python SDK's own helper: ``messages.parse`` with a pydantic model.

``client.messages.parse(output_format=Model)`` (and ``messages.stream(output_format=Model)``) turns the model
into a JSON Schema, sends it as ``output_config: {"format": {"type": "json_schema", "schema": …}}``, and
parses the answer's text block into ``message.parsed_output``. mockgw does not write the JSON itself (yet):
the scenario scripts the JSON text, and these tests show that what the SDK sends arrives whole and what the
scenario answers reaches the user as their model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import pydantic
import pytest
from anthropic.types import ParsedMessage

from mockgw.testing import MockGateway

MODEL = "claude-sonnet-4-6"
GatewayFactory = Callable[..., MockGateway]  # the `gateway` fixture of tests/conftest.py


class Weather(pydantic.BaseModel):
    city: str
    temperature_c: float
    conditions: list[str]


PARIS = Weather(city="Paris", temperature_c=18.5, conditions=["sunny", "light wind"])
SCENARIO = {
    "rules": [
        {"name": "paris", "match": {"last_user": "Paris"}, "reply": PARIS.model_dump_json()},
        # A reply that is JSON but not a Weather: what a scenario gets wrong.
        {"name": "wrong-shape", "match": {"last_user": "Oslo"}, "reply": '{"city": "Oslo"}'},
    ]
}


def ask(question: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": question}]


def parse(client: anthropic.Anthropic, stream: bool, question: str, **params: Any) -> ParsedMessage[Weather]:
    """``messages.parse``, or ``messages.stream`` with the same ``output_format`` (folded by the SDK)."""
    params = {"model": MODEL, "max_tokens": 1024, "messages": ask(question), "output_format": Weather, **params}
    if stream:
        with client.messages.stream(**params) as events:
            return events.get_final_message()
    return client.messages.parse(**params)


@pytest.fixture
def weather(gateway: GatewayFactory) -> tuple[MockGateway, anthropic.Anthropic]:
    gw = gateway(SCENARIO)
    return gw, anthropic.Anthropic(base_url=gw.url, api_key="mockgw-test", max_retries=0)


@pytest.mark.parametrize("stream", [False, True], ids=["parse", "stream"])
def test_the_scripted_json_comes_back_as_the_pydantic_model(
    weather: tuple[MockGateway, anthropic.Anthropic], stream: bool
) -> None:
    _, client = weather
    message = parse(client, stream, "The weather in Paris, please.")
    assert message.parsed_output == PARIS
    assert message.content[0].type == "text" and message.content[0].parsed_output == PARIS
    assert message.stop_reason == "end_turn"


@pytest.mark.parametrize("stream", [False, True], ids=["parse", "stream"])
def test_the_models_json_schema_is_sent_as_output_config_format(
    weather: tuple[MockGateway, anthropic.Anthropic], stream: bool
) -> None:
    gw, client = weather
    parse(client, stream, "The weather in Paris, please.")
    sent = gw.journal.last.body["output_config"]["format"]
    assert sent["type"] == "json_schema"
    assert sent["schema"]["type"] == "object"
    assert set(sent["schema"]["properties"]) == {"city", "temperature_c", "conditions"}
    assert sent["schema"]["additionalProperties"] is False  # the SDK closes objects, as the API requires


def test_output_format_is_merged_into_the_callers_output_config(
    weather: tuple[MockGateway, anthropic.Anthropic],
) -> None:
    gw, client = weather
    message = parse(client, False, "The weather in Paris, please.", output_config={"effort": "low"})
    assert message.parsed_output == PARIS
    sent = gw.journal.last.body["output_config"]
    assert sent["effort"] == "low" and sent["format"]["type"] == "json_schema"


def test_a_scripted_reply_that_does_not_fit_the_model_fails_in_the_sdks_own_validation(
    weather: tuple[MockGateway, anthropic.Anthropic],
) -> None:
    # mockgw answers what the scenario says; the SDK, not the gateway, tells the user their JSON is wrong.
    gw, client = weather
    with pytest.raises(pydantic.ValidationError, match="temperature_c"):
        parse(client, False, "And in Oslo?")
    assert gw.journal.last.status == 200 and gw.journal.last.rule == "wrong-shape"


def test_count_tokens_takes_the_same_output_format(weather: tuple[MockGateway, anthropic.Anthropic]) -> None:
    gw, client = weather
    counted = client.messages.count_tokens(model=MODEL, messages=ask("Paris?"), output_format=Weather)
    assert counted.input_tokens > 0
    sent = gw.journal.last.body["output_config"]["format"]
    assert sent["type"] == "json_schema" and set(sent["schema"]["required"]) == {"city", "temperature_c", "conditions"}
