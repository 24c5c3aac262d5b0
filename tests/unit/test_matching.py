"""Predicates over a request (``match:``), each saying why it failed.

Every case is also decided by the compiled match the engine uses (``compile_match``): ``reasons`` checks
that it holds exactly when no reason is given, so the fast decision and the report never disagree.
"""

from __future__ import annotations

from typing import Any

import pytest

from mockgw.core.matching import Miss, SessionFacts, compile_match, misses
from mockgw.core.request import RequestView, file_ids
from mockgw.faces.anthropic.validation import validate_message_request
from mockgw.scenario.schema import Match


def tool(name: str) -> dict[str, Any]:
    return {"name": name, "description": name, "input_schema": {"type": "object", "properties": {}}}


def view(
    messages: list[dict[str, Any]] | str = "hi",
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> RequestView:
    if isinstance(messages, str):
        messages = [{"role": "user", "content": messages}]
    body = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": messages, **extra}
    return RequestView(validate_message_request(body), {k.lower(): v for k, v in (headers or {}).items()})


def reasons(match: dict[str, Any] | None, request: RequestView, facts: SessionFacts | None = None) -> list[Miss]:
    """``misses`` of ``match``, after checking that the compiled match decides the same."""
    compiled = None if match is None else Match.model_validate(match)
    found = misses(compiled, request, facts)
    assert compile_match(compiled)(request, facts or SessionFacts()) is (not found), found
    return found


def failed(match: dict[str, Any], request: RequestView) -> list[str]:
    """The failed predicates, as the near-miss report prints them."""
    return [str(m) for m in reasons(match, request)]


def holds(match: dict[str, Any], request: RequestView) -> bool:
    return not failed(match, request)


# A tool loop: the assistant called get_weather, the user answers with its result and a few words.
TOOL_LOOP = [
    {"role": "user", "content": "weather in Paris?"},
    {
        "role": "assistant",
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_w", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "toolu_t", "name": "get_time", "input": {}},
        ],
    },
    {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_w", "content": [{"type": "text", "text": "21°C, sunny"}]},
            {"type": "tool_result", "tool_use_id": "toolu_t", "content": "timeout", "is_error": True},
            {"type": "text", "text": "Thanks!"},
        ],
    },
]


def test_no_match_always_holds() -> None:
    assert reasons(None, view()) == []
    assert holds({}, view())


# ---------------------------------------------------------------- last_user


@pytest.mark.parametrize(
    ("test", "text", "expected"),
    [
        ("weather", "What's the weather?", True),  # a bare string means contains
        ("weather", "What's the Weather?", False),
        ({"contains": "weather"}, "the weather today", True),
        ({"contains": "weather", "ignore_case": True}, "THE WEATHER", True),
        ({"equals": "hi"}, "hi", True),
        ({"equals": "hi"}, "hi there", False),
        ({"equals": "HI", "ignore_case": True}, "hi", True),
        ({"regex": r"^\d+ apples?$"}, "12 apples", True),
        ({"regex": r"^\d+ apples?$"}, "twelve apples", False),
        ({"regex": "APPLE", "ignore_case": True}, "an apple", True),
        ({"contains": "apple", "regex": "^an"}, "an apple", True),  # every key given must hold
        ({"contains": "apple", "regex": "^the"}, "an apple", False),
    ],
)
def test_last_user_text_tests(test: Any, text: str, expected: bool) -> None:
    assert holds({"last_user": test}, view(text)) is expected


def test_last_user_is_the_last_user_turn_not_an_earlier_one() -> None:
    messages = [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": [{"type": "text", "text": "second"}, {"type": "text", "text": "question"}]},
    ]
    assert holds({"last_user": {"equals": "second\nquestion"}}, view(messages))
    assert not holds({"last_user": "first"}, view(messages))


def test_last_user_excludes_tool_results() -> None:
    assert holds({"last_user": {"equals": "Thanks!"}}, view(TOOL_LOOP))
    assert failed({"last_user": "sunny"}, view(TOOL_LOOP)) == ["last_user.contains: 'Thanks!' does not contain 'sunny'"]


def test_a_turn_of_tool_results_only_has_empty_last_user_text() -> None:
    messages = [*TOOL_LOOP[:2], {"role": "user", "content": TOOL_LOOP[2]["content"][:2]}]
    assert holds({"last_user": {"equals": ""}}, view(messages))


@pytest.mark.parametrize(
    ("test", "reason"),
    [
        ({"equals": "bye"}, "last_user.equals: 'hello world' is not 'bye'"),
        ({"contains": "bye"}, "last_user.contains: 'hello world' does not contain 'bye'"),
        ({"regex": "^bye"}, "last_user.regex: 'hello world' does not match /^bye/"),
    ],
)
def test_last_user_miss_reasons(test: dict[str, str], reason: str) -> None:
    assert failed({"last_user": test}, view("hello world")) == [reason]


def test_long_text_is_shortened_in_reasons() -> None:
    (reason,) = failed({"last_user": "zzz"}, view("word " * 40))
    assert reason.startswith("last_user.contains: 'word word")
    assert "…' does not contain 'zzz'" in reason
    assert len(reason) < 120


def test_each_failed_key_is_reported() -> None:
    assert failed({"last_user": {"equals": "x", "contains": "y"}}, view("abc")) == [
        "last_user.equals: 'abc' is not 'x'",
        "last_user.contains: 'abc' does not contain 'y'",
    ]


# ---------------------------------------------------------------- model, system


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ("claude-sonnet-4-5", True),  # a bare string means equals
        ("sonnet", False),
        ({"contains": "sonnet"}, True),
        ({"regex": "^claude-(sonnet|opus)"}, True),
        ({"regex": "haiku"}, False),
    ],
)
def test_model(test: Any, expected: bool) -> None:
    assert holds({"model": test}, view()) is expected


def test_model_miss_reason() -> None:
    assert failed({"model": "claude-opus-4-1"}, view()) == [
        "model.equals: 'claude-sonnet-4-5' is not 'claude-opus-4-1'"
    ]


@pytest.mark.parametrize(
    "request_view",
    [
        pytest.param(view(system="You are a pirate."), id="string"),
        pytest.param(
            view(system=[{"type": "text", "text": "You are a pirate.", "cache_control": {"type": "ephemeral"}}]),
            id="blocks",
        ),
        pytest.param(
            view([{"role": "system", "content": "You are a pirate."}, {"role": "user", "content": "hi"}]),
            id="role-system",
        ),
    ],
)
def test_system_reads_the_field_and_system_role_messages(request_view: RequestView) -> None:
    assert holds({"system": "pirate"}, request_view)  # a bare string means contains
    assert holds({"system": {"regex": "^You are"}}, request_view)
    assert not holds({"system": {"equals": "You are a ninja."}}, request_view)


def test_system_joins_field_and_role_messages() -> None:
    request = view([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hi"}], system="Be kind.")
    assert holds({"system": {"equals": "Be kind.\nBe brief."}}, request)


def test_system_miss_when_there_is_none() -> None:
    assert failed({"system": "pirate"}, view()) == ["system.contains: '' does not contain 'pirate'"]


# ---------------------------------------------------------------- tools


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        ("get_weather", True),  # a bare string: includes
        (["get_weather", "get_time"], True),  # a list: all must be offered
        ({"includes": "get_weather"}, True),
        ({"includes": ["get_weather", "send_email"]}, False),
        ({"excludes": "send_email"}, True),
        ({"excludes": ["get_time"]}, False),
        ({"includes": "get_weather", "excludes": "send_email"}, True),
    ],
)
def test_tools(test: Any, expected: bool) -> None:
    request = view(tools=[tool("get_weather"), tool("get_time")])
    assert holds({"tools": test}, request) is expected


def test_tools_miss_reasons() -> None:
    request = view(tools=[tool("get_weather"), tool("get_time")])
    assert failed({"tools": {"includes": ["send_email", "get_time"], "excludes": "get_weather"}}, request) == [
        "tools.includes: request does not offer send_email (offers: get_time, get_weather)",
        "tools.excludes: request offers get_weather",
    ]
    assert failed({"tools": "get_weather"}, view()) == [
        "tools.includes: request does not offer get_weather (offers: none)"
    ]


# ---------------------------------------------------------------- tool_result


@pytest.mark.parametrize(
    ("test", "expected"),
    [
        (True, True),  # any tool result
        ({}, True),
        ({"name": "get_weather"}, True),  # the name of the tool whose tool_use it answers
        ({"name": "get_time"}, True),
        ({"name": "send_email"}, False),
        ({"contains": "sunny"}, True),
        ({"contains": "rain"}, False),
        ({"name": "get_weather", "contains": "sunny"}, True),
        ({"name": "get_time", "contains": "sunny"}, False),  # both must hold for the same result
        ({"is_error": True}, True),
        ({"name": "get_time", "is_error": True}, True),
        ({"name": "get_weather", "is_error": True}, False),
        ({"name": "get_weather", "is_error": False}, True),
    ],
)
def test_tool_result(test: Any, expected: bool) -> None:
    assert holds({"tool_result": test}, view(TOOL_LOOP)) is expected


def test_tool_result_misses_when_the_last_turn_has_none() -> None:
    messages = [*TOOL_LOOP, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "more"}]
    assert failed({"tool_result": True}, view(messages)) == ["tool_result: the last user turn carries no tool_result"]


@pytest.mark.parametrize(
    ("test", "reason"),
    [
        ({"name": "send_email"}, "tool_result.name: the tool results answer get_time, get_weather, not send_email"),
        ({"contains": "rain"}, "tool_result.contains: no tool result contains 'rain'"),
        ({"name": "get_weather", "is_error": True}, "tool_result.is_error: no tool result has is_error=true"),
    ],
)
def test_tool_result_miss_reasons(test: dict[str, Any], reason: str) -> None:
    assert failed({"tool_result": test}, view(TOOL_LOOP)) == [reason]


def test_tool_result_false_is_refused() -> None:
    with pytest.raises(ValueError, match="tool_result: false is not a test"):
        Match.model_validate({"tool_result": False})


# ---------------------------------------------------------------- header, stream, turn


@pytest.mark.parametrize(
    ("test", "sent", "expected"),
    [
        ({"x-test-case": "weather"}, {"X-Test-Case": "weather"}, True),  # names are case-insensitive
        ({"X-Test-Case": "weather"}, {"x-test-case": "weather"}, True),
        ({"x-test-case": "weather"}, {"x-test-case": "weather-2"}, False),  # a bare value is exact
        ({"x-test-case": {"regex": "^weather-\\d$"}}, {"x-test-case": "weather-2"}, True),
        ({"x-test-case": {"contains": "eat"}}, {"x-test-case": "weather"}, True),
        ({"x-attempt": 3}, {"x-attempt": "3"}, True),  # numbers in YAML compare as text
        ({"x-a": "1", "x-b": "2"}, {"x-a": "1", "x-b": "2"}, True),
        ({"x-a": "1", "x-b": "2"}, {"x-a": "1"}, False),
    ],
)
def test_header(test: dict[str, Any], sent: dict[str, str], expected: bool) -> None:
    assert holds({"header": test}, view(headers=sent)) is expected


def test_header_miss_reasons() -> None:
    assert failed({"header": {"X-Test-Case": "weather"}}, view()) == ["header.x-test-case: header not sent"]
    assert failed({"header": {"x-test-case": "weather"}}, view(headers={"x-test-case": "rain"})) == [
        "header.x-test-case.equals: 'rain' is not 'weather'"
    ]


@pytest.mark.parametrize(
    ("test", "stream", "expected"), [(True, True, True), (True, False, False), (False, False, True)]
)
def test_stream(test: bool, stream: bool, expected: bool) -> None:
    assert holds({"stream": test}, view(stream=stream)) is expected


def test_stream_miss_reason() -> None:
    assert failed({"stream": True}, view()) == ["stream: request has stream=false"]


def test_turn_counts_assistant_turns() -> None:
    assert view().turn == 1
    assert view(TOOL_LOOP).turn == 2


@pytest.mark.parametrize(
    ("test", "expected"),
    [(2, True), (1, False), ({"gte": 2}, True), ({"gte": 3}, False), ({"lte": 1}, False), ({"gte": 1, "lte": 2}, True)],
)
def test_turn(test: Any, expected: bool) -> None:
    assert holds({"turn": test}, view(TOOL_LOOP)) is expected


@pytest.mark.parametrize(
    ("test", "reason"),
    [
        (1, "turn: turn is 2, not 1"),
        ({"gte": 3}, "turn.gte: turn is 2, below 3"),
        ({"lte": 1}, "turn.lte: turn is 2, above 1"),
    ],
)
def test_turn_miss_reasons(test: Any, reason: str) -> None:
    assert failed({"turn": test}, view(TOOL_LOOP)) == [reason]


def test_every_failed_predicate_is_listed_in_order() -> None:
    match = {"last_user": "bye", "model": "claude-opus-4-1", "stream": True, "turn": 3, "header": {"x-a": "1"}}
    assert [m.split(":")[0] for m in failed(match, view())] == [
        "last_user.contains",
        "model.equals",
        "header.x-a",
        "stream",
        "turn",
    ]


# ---------------------------------------------------------------- session facts: state, nth; message count


@pytest.mark.parametrize(
    ("match", "facts", "reason"),
    [
        ({"state": "paid"}, SessionFacts("start", 1), "state: session 'default' is in state 'start', not 'paid'"),
        (
            {"state": ["a", "b"]},
            SessionFacts("c", 1),
            "state: session 'default' is in state 'c', not 'a' or 'b'",
        ),
        ({"nth": 3}, SessionFacts("start", 2), "nth: the request number in session 'default' is 2, not 3"),
        (
            {"nth": {"gte": 3}},
            SessionFacts("start", 1),
            "nth.gte: the request number in session 'default' is 1, below 3",
        ),
        (
            {"nth": {"lte": 1}},
            SessionFacts("start", 2),
            "nth.lte: the request number in session 'default' is 2, above 1",
        ),
        (
            {"nth": {"every": 2}},
            SessionFacts("start", 3),
            "nth.every: the request number in session 'default' is 3, not a multiple of 2",
        ),
        ({"messages": {"gte": 2}}, SessionFacts(), "messages.gte: the message count is 1, below 2"),
        ({"messages": 3}, SessionFacts(), "messages: the message count is 1, not 3"),
    ],
)
def test_session_predicates_say_why_they_failed(match: dict[str, Any], facts: SessionFacts, reason: str) -> None:
    assert [str(m) for m in reasons(match, view(), facts)] == [reason]


@pytest.mark.parametrize(
    ("match", "facts"),
    [
        ({"state": ["a", "paid"]}, SessionFacts("paid", 1)),
        ({"nth": {"gte": 2, "every": 2}}, SessionFacts("start", 4)),
        ({"messages": {"lte": 1}}, SessionFacts()),
    ],
)
def test_session_predicates_hold(match: dict[str, Any], facts: SessionFacts) -> None:
    assert reasons(match, view(), facts) == []


@pytest.mark.parametrize("bad", [{"nth": True}, {"nth": {}}, {"nth": {"every": 0}}, {"state": []}])
def test_a_bad_count_or_state_is_refused_at_load(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Match.model_validate(bad)


# ---------------------------------------------------------------- what the request asks

THINKING = {"thinking": {"type": "enabled", "budget_tokens": 2048}, "max_tokens": 4096}
SCHEMA = {"title": "Weather", "type": "object", "properties": {"city": {"type": "string"}}}
STRUCTURED = {"output_config": {"format": {"type": "json_schema", "schema": SCHEMA}}}
PNG = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}
PDF = {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="}}
FILE_DOC = {"type": "document", "source": {"type": "file", "file_id": "file_011abc"}}
FORCED = {"tools": [tool("lookup")], "tool_choice": {"type": "tool", "name": "lookup"}}


def attaching(*blocks: dict[str, Any]) -> RequestView:
    return view([{"role": "user", "content": [*blocks, {"type": "text", "text": "see"}]}])


@pytest.mark.parametrize(
    ("match", "request_", "reason"),
    [
        ({"thinking": True}, view(), "thinking: the request asks for no thinking, so thinking is off"),
        (
            {"thinking": False},
            view(**THINKING),
            "thinking: the request asks for thinking of type 'enabled', so thinking is on",
        ),
        ({"thinking": "adaptive"}, view(**THINKING), "thinking.type: the thinking type is 'enabled', not 'adaptive'"),
        (
            {"thinking": {"budget": {"gte": 4096}}},
            view(**THINKING),
            "thinking.budget.gte: the thinking budget is 2048, below 4096",
        ),
        ({"thinking": {"budget": 1024}}, view(), "thinking.budget: the request gives no thinking budget_tokens"),
        (
            {"tool_choice": "any"},
            view(),
            "tool_choice.type: tool_choice is 'auto' (none given: the API's default), not 'any'",
        ),
        (
            {"tool_choice": {"name": "other"}},
            view(**FORCED),
            "tool_choice.name: tool_choice forces 'lookup', not 'other'",
        ),
        (
            {"output_format": True},
            view(),
            "output_format: the request does not ask for structured output (a JSON schema)",
        ),
        (
            {"output_format": False},
            view(**STRUCTURED),
            "output_format: the request asks for structured output (a JSON schema)",
        ),
        (
            {"output_format": {"title": "Forecast"}},
            view(**STRUCTURED),
            "output_format.title.equals: 'Weather' is not 'Forecast'",
        ),
        (
            {"output_format": {"properties": ["city", "days"]}},
            view(**STRUCTURED),
            "output_format.properties: the output schema lacks days (has: city)",
        ),
        (
            {"beta": "files-api-2025-04-14"},
            view(headers={"anthropic-beta": "a-1, b-2"}),
            "beta: the request does not opt into files-api-2025-04-14 (anthropic-beta: a-1, b-2)",
        ),
        ({"attachments": True}, view(), "attachments: the request attaches no image, document, file or search result"),
        (
            {"attachments": "image"},
            attaching(PDF, FILE_DOC),
            "attachments: no attachment fits (attached: document application/pdf, document (file))",
        ),
        (
            {"attachments": {"media_type": "image/jpeg"}},
            attaching(PNG),
            "attachments: no attachment fits (attached: image image/png)",
        ),
        ({"metadata": {"user_id": "u-1"}}, view(), "metadata.user_id: the request sends no metadata.user_id"),
        (
            {"metadata": {"user_id": "u-1"}},
            view(metadata={"user_id": "u-2"}),
            "metadata.user_id.equals: 'u-2' is not 'u-1'",
        ),
        (
            {"body": {"path": "temperature", "exists": True}},
            view(),
            "body[temperature]: the body has nothing at this path",
        ),
        ({"body": {"path": "max_tokens", "exists": False}}, view(), "body[max_tokens].exists: the body has '64' there"),
        ({"body": {"path": "max_tokens", "equals": 32}}, view(), "body[max_tokens].equals: '64' is not '32'"),
        (
            {"body": {"path": "messages[0].content", "contains": "bye"}},
            view(),
            "body[messages[0].content].contains: 'hi' does not contain '\"bye\"'",
        ),
        (
            {"body": {"path": "$.model", "regex": "^opus"}},
            view(),
            "body[$.model].regex: 'claude-sonnet-4-5' does not match /^opus/",
        ),
    ],
)
def test_request_predicates_say_why_they_failed(match: dict[str, Any], request_: RequestView, reason: str) -> None:
    assert failed(match, request_) == [reason]


@pytest.mark.parametrize(
    ("match", "request_"),
    [
        ({"thinking": True}, view(**THINKING)),
        ({"thinking": False}, view(thinking={"type": "disabled"})),
        ({"thinking": {"type": ["enabled", "adaptive"], "budget": {"lte": 2048}}}, view(**THINKING)),
        ({"tool_choice": "auto"}, view()),
        ({"tool_choice": {"type": "tool", "name": "lookup"}}, view(**FORCED)),
        ({"output_format": {"requested": True, "title": {"regex": "^Wea"}, "properties": "city"}}, view(**STRUCTURED)),
        ({"output_format": False}, view()),
        ({"beta": ["a-1", "b-2"]}, view(headers={"anthropic-beta": "a-1,b-2"})),
        ({"attachments": True}, attaching(PNG)),
        ({"attachments": {"type": ["document"], "media_type": "application/pdf"}}, attaching(PNG, PDF)),
        ({"attachments": "file"}, attaching(FILE_DOC)),
        ({"attachments": {"media_type": {"regex": "^image/"}}}, attaching(PNG)),
        (
            {"attachments": "image"},
            view(
                [
                    {"role": "user", "content": "shoot"},
                    {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "cam", "input": {}}]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": [PNG]}]},
                ]
            ),
        ),
        ({"metadata": {"user_id": {"regex": "^u-"}}}, view(metadata={"user_id": "u-2"})),
        ({"body": {"path": "max_tokens", "equals": 64}}, view()),
        ({"body": [{"path": "tools[0].name", "equals": "lookup"}, {"path": "tools", "exists": True}]}, view(**FORCED)),
        ({"body": {"path": "tool_choice", "contains": "name"}}, view(**FORCED)),
        ({"body": {"path": "stop_sequences", "contains": "END"}}, view(stop_sequences=["END"])),
        ({"body": {"path": "temperature", "exists": False}}, view()),
    ],
)
def test_request_predicates_hold(match: dict[str, Any], request_: RequestView) -> None:
    assert failed(match, request_) == []


@pytest.mark.parametrize(
    "bad",
    [
        {"body": {"path": "a..b", "exists": True}},
        {"body": {"path": "a[x]", "exists": True}},
        {"body": {"path": "a"}},
        {"attachments": "video"},
        {"attachments": False},
        {"body": {"path": "a", "regex": "("}},
    ],
)
def test_a_bad_request_predicate_is_refused_at_load(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Match.model_validate(bad)


def test_body_reads_the_body_as_the_client_sent_it() -> None:
    """On an OpenAI face the body is OpenAI's shape, nulls included (the neutral params leave them out)."""
    sent = {"model": "gpt-5", "messages": [{"role": "user", "content": "hi"}], "user": None, "n": 1}
    request = RequestView(view().params, body=sent)
    assert failed({"body": [{"path": "user", "equals": None}, {"path": "n", "equals": 1}]}, request) == []
    assert failed({"body": {"path": "n", "equals": True}}, request) == ["body[n].equals: '1' is not 'true'"]


# ---------------------------------------------------------------- Claude Code's system reminders

REMINDER = "<system-reminder>\nThe todo list is empty. Make sure you pay attention to it.\n</system-reminder>"
CLAUDE_CODE_TURN = [
    {
        "role": "user",
        "content": [{"type": "text", "text": REMINDER}, {"type": "text", "text": "fix the failing test"}],
    }
]


def test_last_user_leaves_out_system_reminder_blocks() -> None:
    request = view(CLAUDE_CODE_TURN)
    assert request.last_user == "fix the failing test"
    assert holds({"last_user": {"equals": "fix the failing test"}}, request)
    assert failed({"last_user": "pay attention"}, request) == [
        "last_user.contains: 'fix the failing test' does not contain 'pay attention'"
    ]


def test_system_reminders_true_keeps_them() -> None:
    assert holds({"last_user": {"contains": "pay attention", "system_reminders": True}}, view(CLAUDE_CODE_TURN))


@pytest.mark.parametrize(
    "text",
    ["see <system-reminder>x</system-reminder>", "<system-reminder> unclosed", "a <system-reminder>"],
)
def test_only_whole_reminder_blocks_are_left_out(text: str) -> None:
    assert view(text).last_user == text


def test_tool_result_reads_nested_blocks() -> None:
    nested = {"type": "search_result", "source": "s", "title": "T", "content": [{"type": "text", "text": "deep"}]}
    messages = [
        TOOL_LOOP[0],
        TOOL_LOOP[1],
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_w", "content": [nested]},
                {"type": "tool_result", "tool_use_id": "toolu_t", "content": "ok"},
            ],
        },
    ]
    assert holds({"tool_result": {"name": "get_weather", "contains": "deep"}}, view(messages))


def test_a_detached_view_reads_the_same_fields_afresh() -> None:
    # What the journal keeps for a why it makes later: the request, without the texts worked out from it.
    request = RequestView(
        None,
        {"anthropic-beta": "a-1"},
        "s",
        data={"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": TOOL_LOOP, "system": "Be brief."},
    )
    fields = ("last_user", "turn", "tool_results", "system", "betas", "input_chars", "model", "session")
    before = [getattr(request, name) for name in fields]
    detached = request.detached()
    assert "last_user" not in vars(detached) and "tool_results" not in vars(detached)
    assert [getattr(detached, name) for name in fields] == before


def test_a_detached_view_of_a_wire_model_keeps_the_model() -> None:
    request = view(TOOL_LOOP)
    assert request.detached().params is request.params
    assert request.detached().tool_results == request.tool_results


def _call(call_id: str, name: str) -> dict[str, Any]:
    return {"role": "assistant", "content": [{"type": "tool_use", "id": call_id, "name": name, "input": {}}]}


def _results(*call_ids: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": c, "content": "ok"} for c in call_ids]}


@pytest.mark.parametrize(
    ("messages", "names"),
    [
        ([{"role": "user", "content": "go"}, _call("t1", "a"), _results("t1")], ["a"]),
        # A call of an earlier turn is still found (a face that translates its own history may send that).
        ([_call("t1", "a"), {"role": "user", "content": "and"}, _call("t2", "b"), _results("t1", "t2")], ["a", "b"]),
        # An id called twice is named by its latest call, as reading from the start and overwriting did.
        ([_call("t1", "a"), _results("t1"), _call("t1", "b"), _results("t1")], ["b"]),
        ([_call("t1", "a"), _results("t9")], [None]),
    ],
    ids=["the turn before", "an earlier turn", "the latest call", "no such call"],
)
def test_a_tool_result_is_named_by_the_call_it_answers(messages: list[dict[str, Any]], names: list[str | None]) -> None:
    data = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": messages}
    assert [r.name for r in RequestView(None, data=data).tool_results] == names


def test_file_ids_read_alike_from_the_json_and_the_wire_model() -> None:
    def doc(file_id: str, kind: str = "document") -> dict[str, Any]:
        return {"type": kind, "source": {"type": "file", "file_id": file_id}}

    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 64,
        "messages": [
            {"role": "user", "content": [doc("f1"), {"type": "text", "text": "and"}, doc("f2", "image"), doc("f1")]},
            {"role": "assistant", "content": "seen"},
            {"role": "user", "content": [PDF, doc("f3"), {"type": "text", "text": "more"}]},
        ],
    }
    assert file_ids(body) == file_ids(validate_message_request(body)) == ["f1", "f2", "f3"]
