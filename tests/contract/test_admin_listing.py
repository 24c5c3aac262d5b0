"""``GET /_mockgw/requests`` serialises each entry's row once (mockgw/server/listing.py): the answer's bytes
stay what serialising the whole page would write, and a row follows its entry while the entry changes."""

from __future__ import annotations

from typing import Any

from mockgw.core.journal import JournalEntry
from mockgw.server.admin import LISTED_BODY_BYTES, listed
from mockgw.server.listing import ListingCache, page_body
from mockgw.server.responses import json_body
from tests.conftest import body, http_call

SCENARIO = {"name": "listing", "rules": [{"name": "any", "reply": "Fine."}]}


def listing(url: str, query: str = "") -> bytes:
    response = http_call(f"{url}/_mockgw/requests{query}", "GET")
    assert response.status == 200
    return response.body


def whole_page(entries: list[JournalEntry]) -> bytes:
    """The page as the listing wrote it before rows were cached: one json_body of everything."""
    page = {"data": [listed(e) for e in entries], "count": len(entries), "total": len(entries)}
    return json_body({**page, "has_more": False, "last_seq": entries[-1].seq if entries else None})


def test_the_listing_is_the_bytes_of_the_whole_page_serialised_at_once(gateway) -> None:
    gw = gateway(SCENARIO)
    big = "x" * (LISTED_BODY_BYTES + 10)  # left out of the listing: its row says where to read it
    for text in ("hello", "héllo ✓", big):
        assert http_call(f"{gw.url}/v1/messages", json_body=body(text)).status == 200
    http_call(f"{gw.url}/v1/messages", json_body=body("streamed", stream=True))
    first, again = listing(gw.url), listing(gw.url)  # the second from the cached rows
    assert first == again == whole_page(list(gw.journal))


def test_new_requests_and_a_reset_show_in_the_next_listing(gateway) -> None:
    gw = gateway(SCENARIO)
    http_call(f"{gw.url}/v1/messages", json_body=body("one"))
    assert [e["seq"] for e in http_call(f"{gw.url}/_mockgw/requests", "GET").json()["data"]] == [1]
    http_call(f"{gw.url}/v1/messages", json_body=body("two"))
    assert listing(gw.url) == whole_page(list(gw.journal))
    http_call(f"{gw.url}/_mockgw/reset", json_body={})
    http_call(f"{gw.url}/v1/messages", json_body=body("three"))
    assert [e["seq"] for e in http_call(f"{gw.url}/_mockgw/requests", "GET").json()["data"]] == [3]


def entry(seq: int = 1, **fields: Any) -> JournalEntry:
    # The path and headers as received (JournalEntry redacts them when read).
    base: dict[str, Any] = {"time": 1.0, "method": "POST", "raw_path": "/v1/messages", "raw_headers": {}}
    base["session"] = "s"
    return JournalEntry(seq=seq, body={"model": "m"}, **{**base, **fields})


def test_an_unchanged_entry_is_serialised_once() -> None:
    cache, one = ListingCache(), entry()
    assert cache.row(one, listed) is cache.row(one, listed)
    assert cache.made == 1


def test_a_row_follows_its_entry_while_a_request_is_in_flight_and_settles() -> None:
    cache, one = ListingCache(), entry()
    cache.row(one, listed)
    one.events.append("message_start")  # a stream goes on
    assert cache.row(one, listed) == json_body(listed(one))
    one.status, one.duration_ms = 200, 12.5  # answered
    assert cache.row(one, listed) == json_body(listed(one))
    assert cache.made == 3


def test_another_entry_under_the_same_seq_gets_its_own_row() -> None:
    cache = ListingCache()
    cache.row(entry(raw_path="/v1/messages"), listed)
    other = entry(raw_path="/v1/messages/count_tokens")  # a new gateway's journal numbers from 1 again
    assert cache.row(other, listed) == json_body(listed(other))


def test_rows_of_entries_gone_from_the_journal_are_forgotten() -> None:
    cache, kept, gone = ListingCache(), entry(1), entry(2)
    cache.row(kept, listed)
    cache.row(gone, listed)
    cache.forget_except([kept])
    cache.row(kept, listed)
    cache.row(gone, listed)
    assert cache.made == 3  # only the forgotten one made again


def test_rows_past_the_byte_bound_are_made_each_time_and_still_right() -> None:
    cache, one = ListingCache(max_bytes=10), entry()
    assert cache.row(one, listed) == cache.row(one, listed) == json_body(listed(one))
    assert cache.made == 2


def test_a_page_spliced_from_rows_is_the_page_serialised_whole() -> None:
    rows = [entry(1), entry(2)]
    rest = {"count": 2, "total": 5, "has_more": True, "last_seq": 2}
    whole = json_body({"data": [listed(e) for e in rows], **rest})
    assert page_body([json_body(listed(e)) for e in rows], rest) == whole
    assert page_body([], {"count": 0}) == json_body({"data": [], "count": 0})
