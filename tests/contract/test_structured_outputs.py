"""Structured outputs through the Python SDK's own helper: ``messages.parse`` with a pydantic model.

``client.messages.parse(output_format=Model)`` (and ``messages.stream(output_format=Model)``) turns the model
into a JSON Schema, sends it as ``output_config: {"format": {"type": "json_schema", "schema": …}}``, and
parses the answer's text block into ``message.parsed_output``. A scenario scripts the JSON as text (sent as
written), as ``json: {...}`` (checked against the request's schema: a mismatch is a 400 naming the path), or
as ``json: auto`` (generated from the request's schema, seeded); ``tool_use: {name: X, input: auto}``
generates a tool call's input from X's ``input_schema``. The OpenAI SDK's ``parse`` helpers get the same.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable
from typing import Any, Literal

import anthropic
import jsonschema
import openai
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


# ---------------------------------------------------------------- json: {...}, json: auto, input: auto


class Line(pydantic.BaseModel):
    sku: str
    quantity: int
    shipped: datetime.datetime


class Order(pydantic.BaseModel):
    """What the Anthropic API's structured outputs support: types, enums, formats, nesting, optional fields."""

    id: uuid.UUID
    email: str
    status: Literal["new", "paid", "shipped"]
    lines: list[Line]
    note: str | None


ORDERS = {
    "seed": 7,
    "rules": [
        {"name": "scripted", "match": {"last_user": "scripted"}, "reply": {"json": PARIS.model_dump(mode="json")}},
        {
            "name": "wrong",
            "match": {"last_user": "wrong"},
            "reply": {"json": {"city": "Oslo", "temperature_c": "cold"}},
        },
        {
            "name": "tool",
            "match": {"last_user": "tool"},
            "reply": {"tool_use": {"name": "place_order", "input": "auto"}},
        },
        {"name": "auto", "reply": {"json": "auto"}},
    ],
}
ORDER_TOOL = {"name": "place_order", "description": "Place an order.", "input_schema": Order.model_json_schema()}


@pytest.fixture
def orders(gateway: GatewayFactory) -> tuple[MockGateway, anthropic.Anthropic]:
    gw = gateway(ORDERS)
    return gw, anthropic.Anthropic(base_url=gw.url, api_key="mockgw-test", max_retries=0)


def sent_schema(gw: MockGateway) -> dict[str, Any]:
    schema: dict[str, Any] = gw.journal.last.body["output_config"]["format"]["schema"]
    return schema


@pytest.mark.parametrize("stream", [False, True], ids=["parse", "stream"])
def test_json_auto_is_parsed_by_messages_parse_into_the_pydantic_model(
    orders: tuple[MockGateway, anthropic.Anthropic], stream: bool
) -> None:
    gw, client = orders
    message = parse(client, stream, "An order, please.", output_format=Order)
    assert isinstance(message.parsed_output, Order)
    assert not jsonschema.Draft202012Validator(sent_schema(gw)).is_valid({})  # the schema does require things
    jsonschema.validate(message.parsed_output.model_dump(mode="json"), sent_schema(gw))
    assert any("json: auto generated" in note for note in gw.journal.last.notes)


def test_json_auto_is_the_same_for_the_same_seed(gateway: GatewayFactory) -> None:
    answers = []
    for _ in range(2):
        gw = gateway(ORDERS)
        client = anthropic.Anthropic(base_url=gw.url, api_key="mockgw-test", max_retries=0)
        answers.append(parse(client, False, "An order, please.", output_format=Order).parsed_output)
    assert answers[0] == answers[1]


def test_scripted_json_that_fits_the_schema_is_sent_as_the_answers_text(
    orders: tuple[MockGateway, anthropic.Anthropic],
) -> None:
    _, client = orders
    assert parse(client, False, "scripted please", output_format=Weather).parsed_output == PARIS


@pytest.mark.parametrize("stream", [False, True], ids=["parse", "stream"])
def test_scripted_json_that_does_not_fit_is_a_400_naming_the_path(
    orders: tuple[MockGateway, anthropic.Anthropic], stream: bool
) -> None:
    gw, client = orders
    with pytest.raises(anthropic.BadRequestError) as caught:
        parse(client, stream, "wrong please", output_format=Weather)
    message = str(caught.value)
    assert "rule 'wrong'" in message and "$.temperature_c: 'cold' is not of type 'number'" in message
    assert "'conditions' is a required property" in message
    assert gw.journal.last.status == 400


def test_json_auto_without_an_output_schema_says_what_is_missing(
    orders: tuple[MockGateway, anthropic.Anthropic],
) -> None:
    _, client = orders
    with pytest.raises(anthropic.BadRequestError, match="json: auto needs the request's output schema"):
        client.messages.create(model=MODEL, max_tokens=256, messages=ask("anything"))


def test_tool_input_auto_is_generated_from_the_tools_input_schema(
    orders: tuple[MockGateway, anthropic.Anthropic],
) -> None:
    _, client = orders
    message = client.messages.create(model=MODEL, max_tokens=1024, messages=ask("tool please"), tools=[ORDER_TOOL])
    call = message.content[0]
    assert call.type == "tool_use" and call.name == "place_order" and message.stop_reason == "tool_use"
    Order.model_validate(call.input)
    jsonschema.validate(call.input, ORDER_TOOL["input_schema"])


def test_tool_input_auto_for_a_tool_the_request_does_not_offer_is_a_400(
    orders: tuple[MockGateway, anthropic.Anthropic],
) -> None:
    _, client = orders
    with pytest.raises(anthropic.BadRequestError, match=r"does not offer place_order \(offered: none\)"):
        client.messages.create(model=MODEL, max_tokens=1024, messages=ask("tool please"))


class Ticket(pydantic.BaseModel):
    """OpenAI's strict schemas keep pattern and numeric bounds: the generated value honours them."""

    code: str = pydantic.Field(pattern=r"^[A-Z]{3}-\d{4}$")
    priority: int = pydantic.Field(ge=1, le=5)
    tags: list[Literal["bug", "feature", "docs"]]


@pytest.fixture
def openai_client(gateway: GatewayFactory) -> tuple[MockGateway, openai.OpenAI]:
    gw = gateway(ORDERS)
    return gw, openai.OpenAI(base_url=gw.url + "/v1", api_key="mockgw-test", max_retries=0)


def test_json_auto_through_openai_chat_completions_parse(openai_client: tuple[MockGateway, openai.OpenAI]) -> None:
    gw, client = openai_client
    completion = client.chat.completions.parse(
        model=MODEL, messages=[{"role": "user", "content": "a ticket"}], response_format=Ticket
    )
    ticket = completion.choices[0].message.parsed
    assert isinstance(ticket, Ticket)
    assert gw.journal.last.status == 200


def test_json_auto_through_openai_responses_parse(openai_client: tuple[MockGateway, openai.OpenAI]) -> None:
    _, client = openai_client
    response = client.responses.parse(model=MODEL, input="a ticket", text_format=Ticket)
    assert isinstance(response.output_parsed, Ticket)


def test_scripted_json_that_does_not_fit_is_an_openai_400(openai_client: tuple[MockGateway, openai.OpenAI]) -> None:
    _, client = openai_client
    with pytest.raises(openai.BadRequestError, match=r"\$\.temperature_c") as caught:
        client.chat.completions.parse(
            model=MODEL, messages=[{"role": "user", "content": "wrong"}], response_format=Weather
        )
    assert caught.value.code == "reply_does_not_match_schema"
