"""The message-thread store on its own: how a ``thread`` field resolves, what is held, the bounds, reset."""

from __future__ import annotations

from typing import Any

import pytest

from mockgw.faces.anthropic.threads import ThreadRefused, ThreadStore, ThreadTurn, conversation_size
from mockgw.faces.anthropic.wire.messages import Message, TextBlock, ToolUseBlock, Usage

CALL = ToolUseBlock(id="toolu_1", name="get_weather", input={"city": "Paris"})
TOOLS = [{"name": "get_weather", "input_schema": {"type": "object"}}]


def reply(message_id: str, *blocks: TextBlock | ToolUseBlock) -> Message:
    content = list(blocks) or [TextBlock(text="Hello.")]
    usage = Usage(input_tokens=1, output_tokens=1)
    return Message(id=message_id, model="m", content=content, stop_reason="end_turn", usage=usage)


def request(thread: dict[str, Any] | None, *messages: Any, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "m", "max_tokens": 16, "messages": list(messages), **fields}
    if thread is not None:
        body["thread"] = thread
    return body


def create(store: ThreadStore, message_id: str, text: str = "hi", session: str = "s", **fields: Any) -> ThreadTurn:
    turn = store.resolve(request({"type": "create"}, {"role": "user", "content": text}, **fields), session)
    assert turn is not None
    assert store.hold(turn, reply(message_id))
    return turn


def continue_from(previous: str, *messages: Any, **fields: Any) -> dict[str, Any]:
    return request({"type": "continue", "previous_message_id": previous}, *messages, **fields)


def refusal(store: ThreadStore, body: Any, *, enabled: bool = True) -> ThreadRefused:
    with pytest.raises(ThreadRefused) as caught:
        store.resolve(body, "s", enabled=enabled)
    return caught.value


def test_a_request_without_thread_is_not_a_thread() -> None:
    store = ThreadStore()

    assert store.resolve(request(None, {"role": "user", "content": "hi"}), "s") is None
    assert store.resolve({**request(None, {"role": "user", "content": "hi"}), "thread": None}, "s") is None
    assert store.resolve(["not", "an", "object"], "s") is None


def test_a_create_holds_the_conversation_and_its_reply_under_the_reply_id() -> None:
    store = ThreadStore()

    create(store, "msg_1", "What is the weather?", system="Be brief.", tools=TOOLS)

    assert store.messages("msg_1") == [
        {"role": "user", "content": "What is the weather?"},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]},
    ]


def test_a_continue_puts_the_held_history_before_the_new_turn() -> None:
    store = ThreadStore()
    first = store.resolve(request({"type": "create"}, {"role": "user", "content": "weather?"}), "s")
    assert first is not None
    store.hold(first, reply("msg_1", CALL))
    answer = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "18°C"}]}

    turn = store.resolve(continue_from("msg_1", answer), "s")

    assert turn is not None
    assert (turn.kind, turn.previous_message_id) == ("continue", "msg_1")
    assert [m["role"] for m in turn.messages] == ["user", "assistant", "user"]
    assert turn.messages[1]["content"][0] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "get_weather",
        "input": {"city": "Paris"},
    }
    assert turn.messages[2] is answer


def test_a_continue_takes_system_and_tools_from_the_thread() -> None:
    store = ThreadStore()
    create(store, "msg_1", system="Be brief.", tools=TOOLS)

    turn = store.resolve(continue_from("msg_1", {"role": "user", "content": "and tomorrow?"}), "s")

    assert turn is not None
    assert (turn.body["system"], turn.body["tools"]) == ("Be brief.", TOOLS)


def test_a_continue_with_no_new_message_resumes_the_held_turn() -> None:
    """After a ``pause_turn`` reply the SDKs continue with an empty ``messages``."""
    store = ThreadStore()
    create(store, "msg_1")

    turn = store.resolve(continue_from("msg_1"), "s")

    assert turn is not None and [m["role"] for m in turn.messages] == ["user", "assistant"]


def test_the_held_conversation_grows_turn_by_turn_under_the_newest_reply() -> None:
    store = ThreadStore()
    create(store, "msg_1")
    for n in range(2, 5):
        turn = store.resolve(continue_from(f"msg_{n - 1}", {"role": "user", "content": f"turn {n}"}), "s")
        assert turn is not None and store.hold(turn, reply(f"msg_{n}"))

    held = store.messages("msg_4")
    assert held is not None and len(held) == 8
    # Each reply is continued once, so only the newest of a thread is held, and the bytes are its own.
    assert (len(store), "msg_3" in store) == (1, False)
    assert store.bytes == conversation_size(held, {})


def test_a_reply_continued_once_cannot_be_continued_again() -> None:
    store = ThreadStore()
    create(store, "msg_1")
    turn = store.resolve(continue_from("msg_1", {"role": "user", "content": "again"}), "s")
    assert turn is not None and store.hold(turn, reply("msg_2"))
    store.release("msg_1")

    error = refusal(store, continue_from("msg_1", {"role": "user", "content": "once more"}))

    assert (error.status, error.error_type, error.details) == (
        400,
        "invalid_request_error",
        {"error_code": "thread_already_continued"},
    )


def test_a_reply_being_continued_cannot_be_continued_by_another_request_meanwhile() -> None:
    store = ThreadStore()
    create(store, "msg_1")
    assert store.resolve(continue_from("msg_1", {"role": "user", "content": "a"}), "s") is not None

    error = refusal(store, continue_from("msg_1", {"role": "user", "content": "b"}))

    assert (error.status, error.details) == (400, {"error_code": "thread_continue_in_flight"})


def test_a_continue_that_ended_unanswered_leaves_the_reply_to_continue_again() -> None:
    """A scripted error, a no-match or a client gone: the reply was not continued, so it still can be."""
    store = ThreadStore()
    create(store, "msg_1")
    store.resolve(continue_from("msg_1", {"role": "user", "content": "a"}), "s")

    store.release("msg_1")
    again = store.resolve(continue_from("msg_1", {"role": "user", "content": "b"}), "s")

    assert again is not None and again.messages[-1] == {"role": "user", "content": "b"}


def test_an_unknown_previous_message_id_is_thread_not_found() -> None:
    error = refusal(ThreadStore(), continue_from("msg_nowhere", {"role": "user", "content": "hi"}))

    assert (error.status, error.error_type, error.details) == (
        404,
        "not_found_error",
        {"error_code": "thread_not_found"},
    )
    assert "msg_nowhere" in error.message


def test_a_continue_that_changes_system_or_tools_is_refused() -> None:
    store = ThreadStore()
    create(store, "msg_1", system="Be brief.", tools=TOOLS)

    error = refusal(store, continue_from("msg_1", {"role": "user", "content": "hi"}, system="Be long."))
    same = store.resolve(continue_from("msg_1", {"role": "user", "content": "hi"}, system="Be brief."), "s")

    assert error.details == {"error_code": "thread_fingerprint_mismatch"}
    assert "`system`" in error.message
    assert same is not None


def test_threads_switched_off_refuse_every_thread_as_unsupported() -> None:
    store = ThreadStore()

    for thread in ({"type": "create"}, {"type": "continue", "previous_message_id": "msg_1"}):
        error = refusal(store, request(thread, {"role": "user", "content": "hi"}), enabled=False)
        assert (error.status, error.error_type, error.details) == (
            400,
            "invalid_request_error",
            {"error_code": "thread_unsupported_request"},
        )
    assert store.resolve(request(None, {"role": "user", "content": "hi"}), "s", enabled=False) is None


@pytest.mark.parametrize(
    ("thread", "message"),
    [
        ("create", "thread: Input should be a valid dictionary or object to extract fields from"),
        ({}, "thread: Unable to extract tag using discriminator 'type'"),
        (
            {"type": "fork"},
            "thread: Input tag 'fork' found using 'type' does not match any of the expected tags: 'create', 'continue'",
        ),
        ({"type": "continue"}, "thread.continue.previous_message_id: Field required"),
        (
            {"type": "continue", "previous_message_id": 7},
            "thread.continue.previous_message_id: Input should be a valid string",
        ),
    ],
)
def test_a_malformed_thread_gets_the_api_validation_message(thread: Any, message: str) -> None:
    error = refusal(ThreadStore(), request(thread, {"role": "user", "content": "hi"}))

    assert (error.status, error.error_type, error.message, error.details) == (
        400,
        "invalid_request_error",
        message,
        None,
    )


def test_the_least_recently_used_conversation_goes_first_when_over_the_count() -> None:
    store = ThreadStore(max_threads=2)
    create(store, "msg_1")
    create(store, "msg_2")
    store.resolve(continue_from("msg_1"), "s")  # a continue that resolves uses msg_1, even unanswered

    create(store, "msg_3")

    assert ["msg_1" in store, "msg_2" in store, "msg_3" in store] == [True, False, True]
    with pytest.raises(ThreadRefused, match="No thread state"):
        store.resolve(continue_from("msg_2"), "s")


def test_conversations_go_when_over_the_bytes() -> None:
    answer = {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]}
    one = conversation_size([{"role": "user", "content": "x" * 100}, answer], {})
    store = ThreadStore(max_bytes=2 * one)
    for n in range(1, 4):
        create(store, f"msg_{n}", "x" * 100)

    assert (len(store), store.bytes, "msg_1" in store) == (2, 2 * one, False)


def test_a_conversation_larger_than_the_whole_budget_is_not_held() -> None:
    store = ThreadStore(max_bytes=1000)
    create(store, "msg_small")
    turn = store.resolve(request({"type": "create"}, {"role": "user", "content": "x" * 2000}), "s")
    assert turn is not None

    assert store.hold(turn, reply("msg_big")) is False
    assert ("msg_big" in store, "msg_small" in store) == (False, True)


def test_clear_forgets_everything_or_one_session() -> None:
    store = ThreadStore()
    create(store, "msg_a", session="alice")
    create(store, "msg_b", session="bob")

    store.clear("alice")
    assert ("msg_a" in store, "msg_b" in store) == (False, True)
    assert store.bytes == conversation_size(store.messages("msg_b") or [], {})

    store.clear()
    assert (len(store), store.bytes) == (0, 0)


def test_held_turns_drop_their_cache_breakpoints_but_not_json_a_tool_was_given() -> None:
    store = ThreadStore()
    ephemeral = {"type": "ephemeral"}
    call = {"type": "tool_use", "id": "toolu_1", "name": "t", "input": {"cache_control": "kept"}}
    sent = [
        {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": ephemeral}]},
        {"role": "assistant", "content": [call]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "cache_control": ephemeral}]},
    ]
    turn = store.resolve(request({"type": "create"}, *sent), "s")
    assert turn is not None and store.hold(turn, reply("msg_1"))

    assert store.messages("msg_1") == [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "assistant", "content": [call]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1"}]},
        {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]},
    ]
    assert sent[0]["content"][0]["cache_control"] == ephemeral  # what the request sent is left as it was
