"""``messages.parse`` with a pydantic model whose constraints the SDK cannot send, against ``json: auto``.

Structured outputs take only part of JSON Schema: the Python SDK's ``transform_schema`` strips numeric
bounds, string lengths and patterns, and list sizes above one from the schema it sends, and writes them into
each node's ``description`` (``{minimum: 1, maximum: 8}``) for the model to read. pydantic still checks them
when it parses the answer. ``json: auto`` reads them as a model does, so the parse succeeds every time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anthropic
import jsonschema
import pydantic
import pytest

from mockgw.testing import MockGateway

GatewayFactory = Callable[..., MockGateway]
MODEL = "claude-sonnet-4-6"


class Booking(pydantic.BaseModel):
    seats: int = pydantic.Field(ge=1, le=8)
    price_eur: float = pydantic.Field(gt=0, le=500)
    code: str = pydantic.Field(pattern=r"^BK-\d{6}$")
    guests: list[str] = pydantic.Field(min_length=2, max_length=3)
    note: str = pydantic.Field(min_length=3, max_length=12)


@pytest.fixture
def gw(gateway: GatewayFactory) -> MockGateway:
    return gateway({"seed": 3, "rules": [{"reply": {"json": "auto"}}]})


def parse(gw: MockGateway, stream: bool) -> Booking:
    client = anthropic.Anthropic(base_url=gw.url, api_key="mockgw-test", max_retries=0)
    params: dict[str, Any] = {"model": MODEL, "max_tokens": 512, "output_format": Booking}
    params["messages"] = [{"role": "user", "content": "Book a table."}]
    if stream:
        with client.messages.stream(**params) as events:
            parsed = events.get_final_message().parsed_output
    else:
        parsed = client.messages.parse(**params).parsed_output
    assert isinstance(parsed, Booking)
    return parsed


def test_the_sdk_sends_the_bounds_as_description_not_as_schema(gw: MockGateway) -> None:
    parse(gw, False)
    sent = gw.journal.last.body["output_config"]["format"]["schema"]["properties"]
    assert "maximum" not in sent["seats"] and sent["seats"]["description"] == "{maximum: 8, minimum: 1}"
    assert "pattern" not in sent["code"] and "maxItems" not in sent["guests"]


@pytest.mark.parametrize("stream", [False, True], ids=["parse", "stream"])
def test_json_auto_keeps_to_the_bounds_in_the_description_so_pydantic_accepts_it(gw: MockGateway, stream: bool) -> None:
    # Twenty answers, each drawn anew: pydantic refusing any one of them fails the parse.
    bookings = [parse(gw, stream) for _ in range(20)]
    assert len({b.model_dump_json() for b in bookings}) > 1
    sent = gw.journal.last.body["output_config"]["format"]["schema"]
    for booking in bookings:
        jsonschema.validate(booking.model_dump(mode="json"), sent)
