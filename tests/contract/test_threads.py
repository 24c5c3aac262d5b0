"""Message threads through the official Python SDK and raw HTTP.

The SDK's tool runner and ``beta.messages.thread()`` send ``thread: {"type": "create"}`` first, then
``{"type": "continue", "previous_message_id": …}`` with only the new turn: the gateway must put the held
history before it, or the rules answer the first turn again and the runner never ends. With threads switched
off (``threads: false``) the gateway refuses them as a server without threads does, and the SDK falls back to
sending whole histories. Scenario errors carry ``details``, so any ``error_code`` can be scripted.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from typing import Any
from urllib.parse import urlsplit

import anthropic
import pytest
from anthropic import beta_async_tool, beta_tool
from anthropic.types import ThreadNotFoundError, ThreadUnsupportedRequestError

from mockgw.faces.anthropic.threads import THREADS_BETA
from mockgw.testing import MockGateway
from tests.conftest import GatewayFactory, RawResponse, body, http_call, sse_frames

MODEL = "claude-sonnet-4-6"
SCENARIO: dict[str, Any] = {
    "rules": [
        {
            "name": "weather-answer",
            "match": {"tool_result": {"name": "get_weather"}},
            "reply": "It is {{ request.tool_result }} in Paris.",
        },
        {
            "name": "weather-call",
            "match": {"tools": "get_weather", "turn": 1},
            "reply": [{"tool_use": {"name": "get_weather", "input": {"city": "Paris"}}}],
        },
        {
            "name": "second-turn",
            "match": {"turn": 2, "system": "Be brief."},
            "reply": "Turn {{ request.turn }}: you said {{ request.last_user }}.",
        },
        {"name": "fallback", "reply": "Hello."},
    ]
}
WEATHER_TOOL = {"name": "get_weather", "description": "Weather", "input_schema": {"type": "object"}}


@beta_tool
def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"18°C and sunny in {city}"


def client_for(gw: MockGateway) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.url, api_key="test", max_retries=0)


def post(gw: MockGateway, payload: dict[str, Any]) -> RawResponse:
    return http_call(gw.url + "/v1/messages", json_body=payload, headers={"anthropic-beta": THREADS_BETA})


def continue_body(previous: str, *messages: dict[str, Any]) -> dict[str, Any]:
    thread = {"type": "continue", "previous_message_id": previous}
    return {**body(), "messages": list(messages), "thread": thread}


def run_weather_tool(gw: MockGateway, *, stream: bool) -> str:
    runner = client_for(gw).beta.messages.tool_runner(
        model=MODEL,
        max_tokens=256,
        tools=[get_weather],
        messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        stream=stream,
        max_iterations=5,  # a runner the gateway sends round in circles stops, and the counts below fail
    )
    final = runner.until_done()
    return "".join(b.text for b in final.content if b.type == "text")


# ---------------------------------------------------------------- the tool runner


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_the_tool_runner_finishes_a_tool_loop_in_two_threaded_requests(gateway: GatewayFactory, stream: bool) -> None:
    gw = gateway(SCENARIO)

    assert run_weather_tool(gw, stream=stream) == "It is 18°C and sunny in Paris in Paris."

    first, second = gw.journal
    assert [e.rule for e in gw.journal] == ["weather-call", "weather-answer"]
    assert THREADS_BETA in first.headers["anthropic-beta"] and THREADS_BETA in second.headers["anthropic-beta"]
    assert first.body["thread"] == {"type": "create"}
    assert second.body["thread"] == {"type": "continue", "previous_message_id": first.thread["message_id"]}
    # What was sent is the new turn alone; the rules saw the whole conversation.
    assert [m["role"] for m in second.body["messages"]] == ["user"]
    assert [m["role"] for m in second.thread["messages"]] == ["user", "assistant", "user"]
    assert "tools" not in second.body


@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_with_threads_refused_the_tool_runner_falls_back_to_whole_histories(
    gateway: GatewayFactory, stream: bool
) -> None:
    gw = gateway({**SCENARIO, "threads": False})

    assert run_weather_tool(gw, stream=stream) == "It is 18°C and sunny in Paris in Paris."

    refused, first, second = gw.journal
    assert (refused.status, refused.body["thread"]) == (400, {"type": "create"})
    assert [(e.status, e.rule, "thread" in e.body) for e in (first, second)] == [
        (200, "weather-call", False),
        (200, "weather-answer", False),
    ]
    assert [m["role"] for m in second.body["messages"]] == ["user", "assistant", "user"]


def test_the_tool_runner_resumes_a_paused_turn_from_an_empty_continue(gateway: GatewayFactory) -> None:
    """After ``pause_turn`` the runner continues with ``messages: []``: the held turn is all the rules see."""
    gw = gateway(
        {
            "rules": [
                {"name": "resumed", "match": {"turn": 2}, "reply": "Resumed: {{ request.last_user }}."},
                {"name": "paused", "reply": "Searching…", "stop_reason": "pause_turn"},
            ]
        }
    )

    assert run_weather_tool(gw, stream=False) == "Resumed: What is the weather in Paris?."

    paused, resumed = gw.journal
    assert (paused.rule, resumed.rule, resumed.body["messages"]) == ("paused", "resumed", [])
    assert [m["role"] for m in resumed.thread["messages"]] == ["user", "assistant"]


def test_a_held_reply_is_not_checked_as_if_the_client_had_sent_it(gateway: GatewayFactory) -> None:
    """The API refuses a final assistant message ending in whitespace as a prefill the client wrote; a paused
    reply the server holds and resumes from an empty continue is its own, whatever its text ends with."""
    paused = {"reply": "Searching ", "stop_reason": "pause_turn"}
    gw = gateway({"rules": [{"match": {"turn": 2}, "reply": "Resumed."}, paused]})
    created = post(gw, {**body("search"), "thread": {"type": "create"}}).json()

    resumed = post(gw, continue_body(created["id"]))

    assert (resumed.status, resumed.json()["content"][0]["text"]) == (200, "Resumed.")


def test_cache_breakpoints_of_earlier_turns_do_not_add_up_in_the_held_history(gateway: GatewayFactory) -> None:
    """Each turn marks its last block with cache_control (at most 4 a request); the held turns drop theirs,
    as the SDKs drop them when they send a whole history again."""
    gw = gateway({"rules": [{"reply": "Noted."}]})

    def turn(text: str) -> dict[str, Any]:
        block = {"type": "text", "text": text, "cache_control": {"type": "ephemeral"}}
        return {"role": "user", "content": [block]}

    previous = post(gw, {**body(), "messages": [turn("turn 1")], "thread": {"type": "create"}}).json()["id"]
    statuses = []
    for n in range(2, 7):
        answer = post(gw, continue_body(previous, turn(f"turn {n}")))
        statuses.append(answer.status)
        previous = answer.json().get("id", previous)

    assert statuses == [200] * 5
    whole = gw.journal.last.thread["messages"]
    assert sum("cache_control" in b for m in whole if m["role"] == "user" for b in m["content"]) == 1
    assert gw.journal.last.body["messages"] == [turn("turn 6")]  # what was sent keeps its breakpoint


# ---------------------------------------------------------------- beta.messages.thread()


@pytest.mark.parametrize("stream", [False, True], ids=["send", "stream"])
def test_a_thread_keeps_its_history_system_and_tools_across_turns(gateway: GatewayFactory, stream: bool) -> None:
    gw = gateway(SCENARIO)
    thread = client_for(gw).beta.messages.thread(model=MODEL, max_tokens=256, system="Be brief.")

    def send(text: str) -> str:
        turn = {"role": "user", "content": text}
        if stream:
            with thread.stream(turn) as events:
                message = events.get_final_message()
        else:
            message = thread.send(turn)
        return "".join(b.text for b in message.content if b.type == "text")

    assert send("hello") == "Hello."
    assert send("goodbye") == "Turn 2: you said goodbye."

    second = gw.journal[1]
    assert second.body["thread"]["type"] == "continue"
    assert "system" not in second.body  # the thread's own system prompt answered the `system:` predicate
    assert [m["content"] for m in second.body["messages"]] == ["goodbye"]
    assert len(thread.messages) == 4


def test_a_forked_thread_replays_its_history_and_both_go_on(gateway: GatewayFactory) -> None:
    """``fork()`` starts a new thread from the same history: a create with the whole conversation."""
    gw = gateway(SCENARIO)
    thread = client_for(gw).beta.messages.thread(model=MODEL, max_tokens=256, system="Be brief.")
    thread.send({"role": "user", "content": "hello"})
    fork = thread.fork()

    on_thread = thread.send({"role": "user", "content": "left"})
    on_fork = fork.send({"role": "user", "content": "right"})

    assert [b.text for b in (on_thread.content[0], on_fork.content[0]) if b.type == "text"] == [
        "Turn 2: you said left.",
        "Turn 2: you said right.",
    ]
    continued, forked = gw.journal[1], gw.journal[2]
    assert continued.body["thread"]["type"] == "continue"
    assert forked.body["thread"] == {"type": "create"}
    assert [m["role"] for m in forked.body["messages"]] == ["user", "assistant", "user"]


def test_the_async_tool_runner_finishes_in_two_threaded_requests(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)

    @beta_async_tool
    async def get_weather(city: str) -> str:
        """The current weather in a city."""
        return f"18°C and sunny in {city}"

    async def run() -> str:
        client = anthropic.AsyncAnthropic(base_url=gw.url, api_key="test", max_retries=0)
        runner = client.beta.messages.tool_runner(
            model=MODEL,
            max_tokens=256,
            tools=[get_weather],
            messages=[{"role": "user", "content": "What is the weather in Paris?"}],
            max_iterations=5,
        )
        final = await runner.until_done()
        return "".join(b.text for b in final.content if b.type == "text")

    assert asyncio.run(run()) == "It is 18°C and sunny in Paris in Paris."
    assert [(e.rule, e.body["thread"]["type"]) for e in gw.journal] == [
        ("weather-call", "create"),
        ("weather-answer", "continue"),
    ]


def test_a_continue_sees_the_tools_the_thread_was_created_with(gateway: GatewayFactory) -> None:
    second_turn = {"match": {"tools": "get_weather", "turn": 2}, "reply": "Still have it."}
    gw = gateway({"rules": [second_turn, {"reply": "Hi."}]})
    thread = client_for(gw).beta.messages.thread(model=MODEL, max_tokens=256, tools=[WEATHER_TOOL])

    thread.send({"role": "user", "content": "one"})
    second = thread.send({"role": "user", "content": "two"})

    assert second.content[0].type == "text" and second.content[0].text == "Still have it."
    assert "tools" not in gw.journal.last.body


def test_a_thread_started_on_a_gateway_without_threads_raises_the_sdk_class(gateway: GatewayFactory) -> None:
    """``thread()`` refuses to fall back unless told to (``unsupported_request_behavior``)."""
    gw = gateway({"threads": False, "rules": [{"reply": "Hi."}]})
    thread = client_for(gw).beta.messages.thread(model=MODEL, max_tokens=256)

    with pytest.raises(ThreadUnsupportedRequestError) as caught:
        thread.send({"role": "user", "content": "hello"})

    assert (caught.value.status_code, caught.value.error_code) == (400, "thread_unsupported_request")


# ---------------------------------------------------------------- unknown, forgotten and evicted threads


def test_an_unknown_previous_message_id_raises_thread_not_found_in_the_sdk(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)

    with pytest.raises(ThreadNotFoundError) as caught:
        client_for(gw).beta.messages.create(
            model=MODEL,
            max_tokens=256,
            messages=[{"role": "user", "content": "hi"}],
            thread={"type": "continue", "previous_message_id": "msg_01nowhere"},
            betas=[THREADS_BETA],
        )

    assert (caught.value.status_code, caught.value.type, caught.value.error_code) == (
        404,
        "not_found_error",
        "thread_not_found",
    )


def test_an_unknown_previous_message_id_on_the_wire(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)

    response = post(gw, continue_body("msg_01nowhere", {"role": "user", "content": "hi"}))

    assert response.status == 404
    assert response.json() == {
        "type": "error",
        "error": {
            "type": "not_found_error",
            "message": "No thread state was found for previous_message_id `msg_01nowhere`. Replay the full "
            'conversation with `thread: {"type": "create"}` to start a new thread.',
            "details": {"error_code": "thread_not_found"},
        },
        "request_id": response.headers["request-id"],
    }
    assert gw.journal.last.error is not None and gw.journal.last.rule is None


def test_a_reply_can_be_continued_only_once(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    created = post(gw, {**body("hello"), "thread": {"type": "create"}}).json()
    assert post(gw, continue_body(created["id"], {"role": "user", "content": "again"})).status == 200

    again = post(gw, continue_body(created["id"], {"role": "user", "content": "and again"}))

    assert again.status == 400
    assert again.json()["error"]["details"] == {"error_code": "thread_already_continued"}


def test_a_reply_being_continued_is_in_flight_until_that_request_ends(gateway: GatewayFactory) -> None:
    stalled = {"match": {"turn": 2, "stream": True}, "reply": "Slow.", "fault": {"stall_ms": 30_000}}
    gw = gateway({"rules": [stalled, {"reply": "Hi."}]})
    created = post(gw, {**body("hello"), "thread": {"type": "create"}}).json()["id"]
    parts = urlsplit(gw.url)
    slow = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    payload = {**continue_body(created, {"role": "user", "content": "slow"}), "stream": True}
    slow.request("POST", "/v1/messages", body=json.dumps(payload), headers={"content-type": "application/json"})
    assert slow.getresponse().status == 200  # headers out, then the stall

    meanwhile = post(gw, continue_body(created, {"role": "user", "content": "impatient"}))
    slow.close()  # the client goes away: its continue ends unanswered
    deadline = time.monotonic() + 5
    while gw.journal[1].error != "client_gone" and time.monotonic() < deadline:
        time.sleep(0.02)
    afterwards = post(gw, continue_body(created, {"role": "user", "content": "now"}))

    assert (meanwhile.status, meanwhile.json()["error"]["details"]) == (
        400,
        {"error_code": "thread_continue_in_flight"},
    )
    assert (gw.journal[1].error, afterwards.status) == ("client_gone", 200)


def test_a_continue_refused_by_a_scripted_error_can_be_sent_again(gateway: GatewayFactory) -> None:
    failing = {"match": {"last_user": "fail"}, "error": {"status": 500, "should_retry": False}}
    gw = gateway({"rules": [failing, {"reply": "Hi."}]})
    created = post(gw, {**body("hello"), "thread": {"type": "create"}}).json()["id"]

    failed = post(gw, continue_body(created, {"role": "user", "content": "fail"}))
    again = post(gw, continue_body(created, {"role": "user", "content": "retry"}))

    assert (failed.status, again.status) == (500, 200)


def reset_by_admin(gw: MockGateway) -> None:
    assert http_call(gw.url + "/_mockgw/reset", json_body={}).status == 200


def reset_by_api(gw: MockGateway) -> None:
    gw.reset()


@pytest.mark.parametrize("reset", [reset_by_admin, reset_by_api], ids=["admin", "MockGateway.reset"])
def test_reset_forgets_held_threads_and_the_sdk_replays_the_whole_history(gateway: GatewayFactory, reset: Any) -> None:
    gw = gateway(SCENARIO)
    thread = client_for(gw).beta.messages.thread(model=MODEL, max_tokens=256, system="Be brief.")
    thread.send({"role": "user", "content": "hello"})

    reset(gw)
    answer = thread.send({"role": "user", "content": "goodbye"})

    lost, replayed = gw.journal
    assert (lost.status, lost.body["thread"]["type"]) == (404, "continue")
    assert (replayed.status, replayed.body["thread"]) == (200, {"type": "create"})
    assert [m["role"] for m in replayed.body["messages"]] == ["user", "assistant", "user"]
    assert answer.content[0].type == "text" and answer.content[0].text == "Turn 2: you said goodbye."


def test_resetting_one_session_keeps_the_threads_of_the_others(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    held = {}
    for session in ("alice", "bob"):
        payload = {**body("hello"), "thread": {"type": "create"}}
        headers = {"x-mockgw-session": session}
        held[session] = http_call(gw.url + "/v1/messages", json_body=payload, headers=headers).json()["id"]

    gw.reset("alice")

    assert post(gw, continue_body(held["alice"], {"role": "user", "content": "hi"})).status == 404
    assert post(gw, continue_body(held["bob"], {"role": "user", "content": "hi"})).status == 200


def test_switching_the_scenario_forgets_held_threads(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    created = post(gw, {**body("hello"), "thread": {"type": "create"}}).json()

    gw.load({"rules": [{"reply": "Another scenario."}]})

    assert post(gw, continue_body(created["id"], {"role": "user", "content": "hi"})).status == 404


def test_the_oldest_thread_goes_when_more_are_held_than_allowed(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO, max_threads=2)
    ids = [post(gw, {**body(f"hello {n}"), "thread": {"type": "create"}}).json()["id"] for n in range(3)]

    statuses = [post(gw, continue_body(i, {"role": "user", "content": "hi"})).status for i in ids]

    assert statuses == [404, 200, 200]
    assert gw.gateway.threads.stats()["held"] == 2


def test_a_thread_over_the_byte_budget_is_not_held(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO, max_thread_bytes=10_000)
    small = post(gw, {**body("hello"), "thread": {"type": "create"}}).json()["id"]
    large = post(gw, {**body("x" * 20_000), "thread": {"type": "create"}}).json()["id"]

    assert post(gw, continue_body(large, {"role": "user", "content": "hi"})).status == 404
    assert post(gw, continue_body(small, {"role": "user", "content": "hi"})).status == 200
    assert gw.journal[1].thread is not None and gw.journal[1].thread["message_id"] is None


# ---------------------------------------------------------------- the journal and the admin API


def test_the_admin_api_shows_what_was_sent_and_the_whole_conversation(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    created = post(gw, {**body("hello"), "thread": {"type": "create"}}).json()
    post(gw, continue_body(created["id"], {"role": "user", "content": "goodbye"}))

    entries = http_call(gw.url + "/_mockgw/requests", method="GET").json()["data"]
    state = http_call(gw.url + "/_mockgw/state", method="GET").json()

    last = next(e for e in entries if e["thread"] and e["thread"]["type"] == "continue")
    assert last["body"]["messages"] == [{"role": "user", "content": "goodbye"}]
    assert [m["role"] for m in last["thread"]["messages"]] == ["user", "assistant", "user"]
    assert last["thread"]["previous_message_id"] == created["id"]
    assert last["thread"]["message_id"].startswith("msg_")
    assert (state["threads"]["held"], state["threads"]["bytes"] > 0) == (1, True)


def test_the_listing_leaves_a_large_conversation_out_and_the_entry_has_it_whole(gateway: GatewayFactory) -> None:
    """A continue's body is small, its conversation need not be: listings stay small either way."""
    gw = gateway(SCENARIO)
    created = post(gw, {**body("x" * 20_000), "thread": {"type": "create"}}).json()
    post(gw, continue_body(created["id"], {"role": "user", "content": "short"}))

    listed = http_call(gw.url + "/_mockgw/requests", method="GET").json()["data"][-1]
    whole = http_call(gw.url + "/_mockgw/requests/2", method="GET").json()

    assert listed["body"] == {**continue_body(created["id"], {"role": "user", "content": "short"})}
    assert listed["thread"]["messages"] is None
    assert listed["thread"]["messages_elided"]["href"] == "/_mockgw/requests/2"
    assert listed["thread"]["messages_elided"]["bytes"] > 20_000
    assert [m["role"] for m in whole["thread"]["messages"]] == ["user", "assistant", "user"]


def test_a_request_without_thread_is_neither_held_nor_journaled_as_one(gateway: GatewayFactory) -> None:
    gw = gateway(SCENARIO)
    plain = post(gw, body("hello")).json()

    assert gw.journal.last.thread is None
    assert post(gw, continue_body(plain["id"], {"role": "user", "content": "hi"})).status == 404


def test_a_stream_cut_short_is_not_held(gateway: GatewayFactory) -> None:
    fault = {"after_events": 2, "error": {"type": "overloaded_error"}}
    gw = gateway({"rules": [{"match": {"stream": True}, "reply": "Cut short.", "fault": fault}, {"reply": "Hi."}]})

    data = post(gw, {**body("hello"), "stream": True, "thread": {"type": "create"}}).body

    message_id = sse_frames(data)[0][1]["message"]["id"]
    assert len(gw.gateway.threads) == 0
    assert post(gw, continue_body(message_id, {"role": "user", "content": "hi"})).status == 404


# ---------------------------------------------------------------- error.details


def test_a_scripted_error_carries_its_details(gateway: GatewayFactory) -> None:
    details = {"error_code": "overloaded", "retry": {"after": [1, 2.5]}}
    gw = gateway({"rules": [{"error": {"status": 529, "details": details}}]})

    response = post(gw, body())

    assert response.status == 529
    assert response.json()["error"] == {"type": "overloaded_error", "message": "Overloaded", "details": details}


def test_a_scripted_error_code_picks_the_sdk_exception_class(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"error": {"status": 404, "details": {"error_code": "thread_not_found"}}}]})

    with pytest.raises(ThreadNotFoundError) as caught:
        client_for(gw).messages.create(model=MODEL, max_tokens=64, messages=[{"role": "user", "content": "hi"}])

    assert caught.value.error_code == "thread_not_found"


def test_an_error_without_details_has_no_details_key(gateway: GatewayFactory) -> None:
    gw = gateway({"rules": [{"error": 429}]})

    assert "details" not in post(gw, body()).json()["error"]


def test_a_mid_stream_error_carries_its_details(gateway: GatewayFactory) -> None:
    error = {"type": "overloaded_error", "details": {"error_code": "overloaded"}}
    gw = gateway({"rules": [{"reply": "Cut.", "fault": {"after_events": 1, "error": error}}]})

    frames = sse_frames(post(gw, {**body(), "stream": True}).body)

    assert frames[-1] == (
        "error",
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded", "details": error["details"]}},
    )
