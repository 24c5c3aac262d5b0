"""Scenario language v2 (issue 15) through HTTP and the official Python SDK: named states per session,
``nth`` and ``messages`` counts, what the request asks (thinking, tool_choice, output_format, beta,
attachments, metadata, body), and Claude Code's system reminders left out of ``last_user``."""

from __future__ import annotations

import textwrap
from typing import Any

import anthropic
import pytest

from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, body, http_call

MODEL = "claude-sonnet-4-6"


def client(gw: MockGateway, session: str = "default") -> anthropic.Anthropic:
    return anthropic.Anthropic(
        base_url=gw.url, api_key="k", max_retries=0, default_headers={"x-mockgw-session": session}
    )


def ask(gw: MockGateway, text: str = "hi", session: str = "default", **extra: Any) -> str:
    """The text the SDK reads back, or ``error NNN: message`` for an error answer."""
    try:
        params = {"model": MODEL, "max_tokens": 2048, "messages": [{"role": "user", "content": text}], **extra}
        message = client(gw, session).messages.create(**params)
    except anthropic.APIStatusError as exc:
        return f"error {exc.status_code}"
    return "".join(b.text for b in message.content if b.type == "text")


def scenario(text: str) -> str:
    return textwrap.dedent(text)


# ---------------------------------------------------------------- states


PAYMENT = scenario("""
    rules:
      - match: {last_user: {contains: pay}, state: start}
        set_state: paid
        reply: "Paid."
      - match: {last_user: {contains: pay}, state: paid}
        reply: "Already paid."
      - match: {state: paid}
        reply: "Thanks for paying."
      - reply: "Please pay first."
""")


def test_set_state_moves_the_session_and_state_picks_the_rule(gateway: GatewayFactory) -> None:
    gw = gateway(PAYMENT)
    assert [ask(gw, t) for t in ("hello", "pay", "pay", "hello")] == [
        "Please pay first.",
        "Paid.",
        "Already paid.",
        "Thanks for paying.",
    ]


def test_each_session_has_its_own_state(gateway: GatewayFactory) -> None:
    gw = gateway(PAYMENT)
    assert ask(gw, "pay", session="alice") == "Paid."
    assert ask(gw, "hello", session="bob") == "Please pay first."
    assert (gw.session_state("alice"), gw.session_state("bob")) == ("paid", "start")


def test_initial_state_names_the_state_sessions_start_in(gateway: GatewayFactory) -> None:
    gw = gateway("initial_state: anonymous\nrules:\n  - {match: {state: anonymous}, reply: 'Who are you?'}\n")
    assert gw.session_state() == "anonymous"
    assert ask(gw) == "Who are you?"


def test_a_sequence_step_sets_the_state_over_its_rule(gateway: GatewayFactory) -> None:
    gw = gateway(
        scenario("""
        rules:
          - match: {state: [start, retrying]}
            set_state: retrying
            sequence:
              - error: {status: 529}
              - {reply: "Recovered.", set_state: done}
          - match: {state: done}
            reply: "Done."
    """)
    )
    assert [ask(gw) for _ in range(3)] == ["error 529", "Recovered.", "Done."]


def test_the_python_api_sets_a_session_state(gateway: GatewayFactory) -> None:
    gw = gateway(PAYMENT)
    gw.set_session_state("paid", session="carol")
    assert ask(gw, "hello", session="carol") == "Thanks for paying."
    gw.reset("carol")
    assert gw.session_state("carol") == "start"


def test_the_admin_api_reads_and_sets_a_session_state(gateway: GatewayFactory) -> None:
    gw = gateway(PAYMENT)
    put = http_call(f"{gw.url}/_mockgw/state", "PUT", json_body={"session": "dave", "state": "paid"})
    assert (put.status, put.json()) == (200, {"session": "dave", "state": "paid"})
    assert ask(gw, "hello", session="dave") == "Thanks for paying."
    dave = http_call(f"{gw.url}/_mockgw/state", "GET").json()["sessions"]["dave"]
    assert (dave["state"], dave["requests"]) == ("paid", 1)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"session": "x"}, 'the body is {"state": "NAME"} or {"session": "S", "state": "NAME"}'),
        ({"state": ""}, "state: expected a non-empty string"),
        ({"state": "a", "session": 3}, "session: expected a non-empty string"),
    ],
)
def test_a_bad_state_body_is_a_400_naming_it(gateway: GatewayFactory, payload: Any, message: str) -> None:
    response = http_call(f"{gateway(PAYMENT).url}/_mockgw/state", "PUT", json_body=payload)
    assert (response.status, response.json()["error"]["message"]) == (400, message)


def test_a_state_mismatch_is_named_in_the_no_match_report(gateway: GatewayFactory) -> None:
    gw = gateway("rules:\n  - {name: after-pay, match: {state: paid}, reply: x}\n")
    response = http_call(f"{gw.url}/v1/messages", json_body=body("hi"), headers={"x-mockgw-session": "eve"})
    assert response.status == 400
    assert response.json()["error"]["message"].endswith(
        "after-pay: state: session 'eve' is in state 'start', not 'paid'"
    )


# ---------------------------------------------------------------- nth and messages


def test_nth_answers_the_sessions_third_request(gateway: GatewayFactory) -> None:
    gw = gateway("rules:\n  - {match: {nth: 3}, error: {status: 529}}\n  - reply: ok\n")
    assert [ask(gw) for _ in range(4)] == ["ok", "ok", "error 529", "ok"]
    assert ask(gw, session="other") == "ok"  # counted per session


@pytest.mark.parametrize(
    ("test", "answered"),
    [
        ("{gte: 3}", [False, False, True, True, True]),
        ("{lte: 2}", [True, True, False, False, False]),
        ("{every: 2}", [False, True, False, True, False]),
    ],
)
def test_nth_ranges(gateway: GatewayFactory, test: str, answered: list[bool]) -> None:
    gw = gateway(f"rules:\n  - {{match: {{nth: {test}}}, reply: hit}}\n  - reply: miss\n")
    assert [ask(gw) == "hit" for _ in answered] == answered


def test_messages_counts_the_conversation(gateway: GatewayFactory) -> None:
    gw = gateway("rules:\n  - {match: {messages: {gte: 3}}, reply: long}\n  - reply: short\n")
    turns = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
    long = client(gw).messages.create(model=MODEL, max_tokens=64, messages=turns)  # type: ignore[arg-type]
    assert [long.content[0].text, ask(gw)] == ["long", "short"]  # type: ignore[union-attr]


# ---------------------------------------------------------------- what the request asks


ASKS = scenario("""
    rules:
      - {match: {thinking: {budget: {gte: 4096}}}, reply: "thinking hard"}
      - {match: {thinking: true}, reply: "thinking"}
      - {match: {tool_choice: {type: tool, name: lookup}}, reply: [{tool_use: {name: lookup, input: {q: x}}}]}
      - {match: {output_format: {title: Weather}}, reply: '{"city": "Paris"}'}
      - {match: {beta: files-api-2025-04-14}, reply: "files beta"}
      - {match: {attachments: {type: image, media_type: image/png}}, reply: "a picture"}
      - {match: {metadata: {user_id: {regex: "^u-"}}}, reply: "a known user"}
      - {match: {body: {path: "stop_sequences[0]", equals: "END"}}, reply: "a stop sequence"}
      - reply: "plain"
""")
PNG = {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}
LOOKUP = {"name": "lookup", "description": "Look up", "input_schema": {"type": "object", "properties": {}}}
WEATHER = {"type": "json_schema", "schema": {"title": "Weather", "type": "object", "properties": {}}}


@pytest.mark.parametrize(
    ("extra", "answer"),
    [
        ({"thinking": {"type": "enabled", "budget_tokens": 1024}}, "thinking"),
        ({"thinking": {"type": "enabled", "budget_tokens": 4096}, "max_tokens": 8192}, "thinking hard"),
        ({"output_config": {"format": WEATHER}}, '{"city": "Paris"}'),
        ({"metadata": {"user_id": "u-42"}}, "a known user"),
        ({"metadata": {"user_id": "anonymous"}}, "plain"),
        ({"stop_sequences": ["END"]}, "a stop sequence"),
        ({}, "plain"),
    ],
    ids=["thinking", "budget", "output_format", "metadata", "metadata-other", "body", "nothing-asked"],
)
def test_what_the_request_asks_picks_the_rule_through_the_sdk(
    gateway: GatewayFactory, extra: dict[str, Any], answer: str
) -> None:
    assert ask(gateway(ASKS), **extra) == answer


def test_a_forced_tool_choice_gets_its_tool_call(gateway: GatewayFactory) -> None:
    params: dict[str, Any] = {"messages": [{"role": "user", "content": "look it up"}], "tools": [LOOKUP]}
    message = client(gateway(ASKS)).messages.create(
        model=MODEL, max_tokens=256, tool_choice={"type": "tool", "name": "lookup"}, **params
    )
    assert [(b.type, getattr(b, "name", None)) for b in message.content] == [("tool_use", "lookup")]


def test_beta_reads_the_betas_the_sdk_sends(gateway: GatewayFactory) -> None:
    message = client(gateway(ASKS)).beta.messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}], betas=["files-api-2025-04-14"]
    )
    assert message.content[0].text == "files beta"  # type: ignore[union-attr]


def test_attachments_sees_an_image(gateway: GatewayFactory) -> None:
    content = [{"type": "image", "source": PNG}, {"type": "text", "text": "what is this?"}]
    messages: list[Any] = [{"role": "user", "content": content}]
    message = client(gateway(ASKS)).messages.create(model=MODEL, max_tokens=64, messages=messages)
    assert message.content[0].text == "a picture"  # type: ignore[union-attr]


def test_a_request_predicate_miss_says_why_over_http(gateway: GatewayFactory) -> None:
    gw = gateway("rules:\n  - {name: deep, match: {thinking: {budget: {gte: 4096}}}, reply: x}\n")
    sent = body("hi", thinking={"type": "enabled", "budget_tokens": 2048}, max_tokens=4096)
    response = http_call(f"{gw.url}/v1/messages", json_body=sent)
    assert response.status == 400
    assert response.json()["error"]["message"].endswith(
        "deep: thinking.budget.gte: the thinking budget is 2048, below 4096"
    )


@pytest.mark.parametrize(
    ("extra", "answer"),
    [
        ({"reasoning_effort": "high"}, "thinking"),
        (
            {"response_format": {"type": "json_schema", "json_schema": {"name": "w", "schema": WEATHER["schema"]}}},
            '{"city": "Paris"}',
        ),
        ({"user": "u-7"}, "a known user"),
        ({"stop": ["END"]}, "plain"),  # body reads OpenAI's shape: `stop`, not stop_sequences
    ],
    ids=["thinking", "output_format", "metadata", "body-is-openai-shaped"],
)
def test_the_request_predicates_work_on_the_openai_chat_face(
    gateway: GatewayFactory, extra: dict[str, Any], answer: str
) -> None:
    import openai

    chat = openai.OpenAI(base_url=gateway(ASKS).url + "/v1", api_key="k", max_retries=0)
    done = chat.chat.completions.create(model="gpt-5", messages=[{"role": "user", "content": "hi"}], **extra)
    assert done.choices[0].message.content == answer


# ---------------------------------------------------------------- Claude Code's system reminders


def test_a_short_last_user_test_is_not_fooled_by_a_system_reminder(gateway: GatewayFactory) -> None:
    gw = gateway(
        scenario("""
        rules:
          - {match: {last_user: {contains: todo, system_reminders: true}}, reply: "reminded"}
          - {match: {last_user: {contains: todo}}, reply: "the user said todo"}
          - reply: "{{ request.last_user }}"
    """)
    )
    reminder = "<system-reminder>\nYour todo list is empty.\n</system-reminder>"
    content: list[Any] = [{"type": "text", "text": reminder}, {"type": "text", "text": "hello"}]
    message = client(gw).messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": content}])
    assert message.content[0].text == "reminded"  # type: ignore[union-attr]
    gw.load(
        scenario("rules:\n  - {match: {last_user: {contains: todo}}, reply: x}\n  - reply: '{{ request.last_user }}'\n")
    )
    message = client(gw).messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": content}])
    assert message.content[0].text == "hello"  # type: ignore[union-attr]


# ---------------------------------------------------------------- each key's other forms through the SDK

ATTACHED = scenario("""
    rules:
      - {match: {attachments: file}, reply: "an uploaded file"}
      - {match: {attachments: {type: document, media_type: application/pdf}}, reply: "a PDF"}
      - {match: {attachments: search_result}, reply: "a search result"}
      - {match: {attachments: true}, reply: "something else attached"}
      - reply: "nothing attached"
""")
PDF_SOURCE = {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQK"}
SEARCH_RESULT = {
    "type": "search_result",
    "source": "https://example.test/a",
    "title": "A",
    "content": [{"type": "text", "text": "found"}],
}
TEXT_DOC = {"type": "text", "media_type": "text/plain", "data": "plain notes"}


@pytest.mark.parametrize(
    ("block", "answer"),
    [
        ({"type": "document", "source": PDF_SOURCE}, "a PDF"),
        ({"type": "document", "source": TEXT_DOC}, "something else attached"),
        (SEARCH_RESULT, "a search result"),
        (None, "nothing attached"),
    ],
    ids=["pdf", "text-document", "search-result", "none"],
)
def test_attachments_tells_documents_and_search_results_apart_through_the_sdk(
    gateway: GatewayFactory, block: dict[str, Any] | None, answer: str
) -> None:
    content: list[Any] = [*([block] if block else []), {"type": "text", "text": "see"}]
    message = client(gateway(ATTACHED)).messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": content}]
    )
    assert message.content[0].text == answer  # type: ignore[union-attr]


def test_attachments_file_holds_for_an_uploaded_file_the_request_names(gateway: GatewayFactory) -> None:
    sdk = client(gateway(ATTACHED))
    uploaded = sdk.beta.files.upload(file=("notes.txt", b"the notes", "text/plain"))
    content: list[Any] = [
        {"type": "document", "source": {"type": "file", "file_id": uploaded.id}},
        {"type": "text", "text": "see"},
    ]
    message = sdk.beta.messages.create(
        model=MODEL, max_tokens=64, messages=[{"role": "user", "content": content}], betas=["files-api-2025-04-14"]
    )
    assert message.content[0].text == "an uploaded file"  # type: ignore[union-attr]


BODY_TESTS = scenario("""
    rules:
      - {match: {body: {path: "tools[0].name", regex: "^get_"}}, reply: "a getter first"}
      - {match: {body: {path: stop_sequences, contains: "###"}}, reply: "a stop sequence given"}
      - {match: {body: {path: service_tier, exists: true}}, reply: "a service tier"}
      - reply: "anything else"
""")
GETTER = {"name": "get_time", "description": "Time", "input_schema": {"type": "object", "properties": {}}}


@pytest.mark.parametrize(
    ("extra", "answer"),
    [
        ({"tools": [GETTER]}, "a getter first"),
        ({"tools": [LOOKUP]}, "anything else"),
        ({"stop_sequences": ["END", "###"]}, "a stop sequence given"),  # the answer itself would stop at ###
        ({"service_tier": "standard_only"}, "a service tier"),
        ({}, "anything else"),
    ],
    ids=["regex", "regex-miss", "contains", "exists", "none"],
)
def test_each_body_test_reads_what_the_sdk_sent(gateway: GatewayFactory, extra: dict[str, Any], answer: str) -> None:
    assert ask(gateway(BODY_TESTS), **extra) == answer


def test_tool_result_reads_text_nested_in_the_results_blocks_through_the_sdk(gateway: GatewayFactory) -> None:
    gw = gateway(
        scenario("""
        rules:
          - {match: {tool_result: {name: lookup, contains: "42 rows"}}, reply: "the nested text was read"}
          - reply: "not seen"
    """)
    )
    nested = [{"type": "text", "text": "query ran"}, {"type": "text", "text": "42 rows"}]
    turns: list[Any] = [
        {"role": "user", "content": "look it up"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": nested}]},
    ]
    message = client(gw).messages.create(model=MODEL, max_tokens=64, messages=turns, tools=[LOOKUP])  # type: ignore[list-item]
    assert message.content[0].text == "the nested text was read"  # type: ignore[union-attr]


def test_an_included_files_rules_answer_through_the_sdk(gateway: GatewayFactory, tmp_path: Any) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "errors.yaml").write_text(
        "rules:\n  - {match: {last_user: {contains: boom}}, error: {status: 529}}\n  - reply: from the library\n"
    )
    main = tmp_path / "main.yaml"
    main.write_text("include: lib/errors.yaml\nrules:\n  - {match: {last_user: {contains: weather}}, reply: Sunny.}\n")
    gw = gateway(main)
    assert [ask(gw, "weather?"), ask(gw, "boom"), ask(gw, "other")] == ["Sunny.", "error 529", "from the library"]


@pytest.mark.parametrize(
    ("extra", "answer"),
    [
        ({"reasoning": {"effort": "high"}}, "thinking"),
        (
            {"text": {"format": {"type": "json_schema", "name": "w", "schema": WEATHER["schema"]}}},
            '{"city": "Paris"}',
        ),
        ({"safety_identifier": "u-9"}, "a known user"),
        ({}, "plain"),
    ],
    ids=["thinking", "output_format", "metadata", "nothing-asked"],
)
def test_the_request_predicates_work_on_the_openai_responses_face(
    gateway: GatewayFactory, extra: dict[str, Any], answer: str
) -> None:
    import openai

    api = openai.OpenAI(base_url=gateway(ASKS).url + "/v1", api_key="k", max_retries=0)
    done = api.responses.create(model="gpt-5", input="hi", **extra)
    assert done.output_text == answer
