"""The gateway's state, shared by every route: configuration, engine, journal, clock."""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mockgw.core.clock import Clock, RealClock
from mockgw.core.engine import DEFAULT_MAX_SESSIONS, Engine
from mockgw.core.journal import DEFAULT_JOURNAL_BODY_BYTES, DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_SIZE, Journal
from mockgw.faces.anthropic.batches import BatchStore
from mockgw.faces.anthropic.files import FileStore, StoredFile, clean_filename, decode_content, media_type_for
from mockgw.faces.anthropic.prepared import prepared_answers
from mockgw.faces.anthropic.threads import DEFAULT_MAX_THREAD_BYTES, DEFAULT_MAX_THREADS, ThreadStore
from mockgw.faces.anthropic.wire.models import ModelInfo
from mockgw.gateway.catalogue import builtin_models, max_output_tokens, model_info
from mockgw.gateway.generations import GenerationStore
from mockgw.gateway.ratelimits import RateLimiter
from mockgw.scenario.schema import Scenario
from mockgw.server.auth import AuthPolicy, make_policy
from mockgw.server.datadir import DataDir
from mockgw.server.defaults import LOCALHOST_ORIGINS, Timeouts
from mockgw.server.sse import StreamPacer

if TYPE_CHECKING:
    from mockgw.faces.openai.responses import ResponseStore

MAX_BODY_BYTES = 32 * 1024 * 1024  # the API's limit; larger bodies get 413 request_too_large
__all__ = ["MAX_BODY_BYTES", "Gateway", "GatewayConfig", "Timeouts", "prepare_answers"]
_OPENAI_PREPARED = "mockgw.faces.openai.prepared"
_AISDK_PREPARED = "mockgw.faces.aisdk.prepared"
_RESPONSES_PREPARED = "mockgw.faces.openai.prepared_responses"


def prepare_answers(scenario: Scenario) -> None:
    """Render ``scenario``'s literal answers for every face in use, before a running gateway loads it.

    Call it off the event loop (the admin API and hot reload do, in a thread; ``MockGateway.load`` in the
    test's thread): ``Gateway.load`` and the routes then find them made (each face's are kept by scenario
    identity). The OpenAI and AI SDK faces' answers are made only once that face has been loaded, by its
    first request, which makes them in a thread if they are not made yet.
    """
    prepared_answers(scenario)
    if _OPENAI_PREPARED in sys.modules:
        sys.modules[_OPENAI_PREPARED].prepared_chats(scenario)
    if _RESPONSES_PREPARED in sys.modules:
        sys.modules[_RESPONSES_PREPARED].prepared_responses(scenario)
    if _AISDK_PREPARED in sys.modules:
        sys.modules[_AISDK_PREPARED].aisdk_prepared(scenario)


@dataclass
class GatewayConfig:
    """How to build a gateway. The CLI, ``MockGateway`` and the pytest plugin all fill this in."""

    scenario: Scenario
    seed: int | None = None
    api_keys: Sequence[str] = ()
    clock: Clock = field(default_factory=RealClock)
    journal_size: int = DEFAULT_JOURNAL_SIZE  # entries
    journal_bytes: int = DEFAULT_JOURNAL_BYTES  # in all; the oldest entries are forgotten past it
    journal_body_bytes: int = DEFAULT_JOURNAL_BODY_BYTES  # a body over this is journaled shortened
    max_body_bytes: int = MAX_BODY_BYTES
    admin_token: str | None = None  # set: every /_mockgw/ call must carry it
    overrides: bool = True  # honour x-mockgw-status / -rule / -delay-ms request headers
    cors_origins: Sequence[str] = LOCALHOST_ORIGINS  # browser origins allowed; empty: CORS off
    max_threads: int = DEFAULT_MAX_THREADS  # message-thread conversations held at most (LRU)
    max_thread_bytes: int = DEFAULT_MAX_THREAD_BYTES  # and their bytes in all (compact JSON)
    data_dir: str | None = None  # keep uploaded files and batches here across restarts; None: memory only
    # Host names answered besides loopback names and IP addresses (server/hosts.py); "*": any.
    allowed_hosts: Sequence[str] = ()
    timeouts: Timeouts = field(default_factory=Timeouts)
    max_sessions: int = DEFAULT_MAX_SESSIONS  # per-session rule state kept; the least recently used is dropped
    worker: int | None = None  # serve --workers: this process's number, sent in x-mockgw-worker on admin answers


class Gateway:
    """Everything a request handler needs; one per server."""

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.clock = config.clock
        self.pacer = StreamPacer(self.clock)  # every stream of this gateway, on its clock
        self.journal = Journal(config.journal_size, config.journal_bytes, config.journal_body_bytes)
        self.threads = ThreadStore(config.max_threads, config.max_thread_bytes)
        # Batches and files are dated on the gateway's clock: wall time at start plus the clock's progress,
        # so a FakeClock moves them too, and their RFC 3339 dates stay real dates.
        self._wall0, self._clock0 = time.time(), self.clock.now()
        self.data_dir = DataDir(config.data_dir) if config.data_dir else None
        self.files = FileStore(persist=self.data_dir)
        self.batches = BatchStore(persist=self.data_dir)
        if self.data_dir is not None:
            for stored in self.data_dir.load_files():
                self.files.add(stored, save=False)
            self.batches.load(self.data_dir.load_batches())
        self.generations = GenerationStore()  # AI SDK calls answered: /v1/generation and /v1/credits
        self.load(config.scenario)

    @functools.cached_property
    def responses(self) -> ResponseStore:
        """The conversations ``/v1/responses`` holds for ``previous_response_id``: made (and the OpenAI face
        imported) by the first request that needs it, not at start-up."""
        from mockgw.faces.openai.responses import ResponseStore

        return ResponseStore()

    def _clear_responses(self, session: str | None = None) -> None:
        if "responses" in self.__dict__:  # none made yet: nothing held
            self.responses.clear(session)

    def load(self, scenario: Scenario) -> None:
        """Switch to another scenario: new rules and fresh state; the journal is kept.

        Held message threads are forgotten too: the fresh engine's seeded ids can repeat theirs, and the
        rules that answered them are gone (a continue then gets thread_not_found, and the SDKs replay).
        """
        self.threads.clear()
        self._clear_responses()  # likewise the conversations held for previous_response_id
        self.scenario = scenario
        # Made in advance, off the loop, by the admin API and hot reload (prepare_answers); else here.
        self.prepared = prepared_answers(scenario)
        self.engine = Engine(scenario, self.config.seed, self.config.max_sessions)
        self.rate_limiter = RateLimiter(scenario.rate_limits)
        auth = scenario.auth
        keys = list(self.config.api_keys) + (list(auth.keys) if auth else [])
        self.auth: AuthPolicy = make_policy(keys, bool(auth and auth.oidc))
        self.models: list[ModelInfo] = (
            [
                model_info(
                    m.id,
                    display_name=m.display_name,
                    created_at=m.created_at,
                    overrides=m.model_dump(exclude={"id", "display_name", "created_at"}),
                )
                for m in scenario.models
            ]
            if scenario.models
            else builtin_models()
        )
        self._model_ids = frozenset(m.id for m in self.models)
        self.files.seed(self._scenario_files(scenario))

    def _scenario_files(self, scenario: Scenario) -> list[StoredFile]:
        out: list[StoredFile] = []
        for index, entry in enumerate(scenario.files):
            mime = media_type_for(entry.filename, entry.mime_type)
            out.append(
                StoredFile(
                    id=entry.id or f"file_011Scenario{index:04d}",
                    filename=clean_filename(entry.filename, mime),
                    mime_type=mime,
                    created_at=self._wall0,
                    content=decode_content(entry.text, entry.base64),
                    downloadable=entry.downloadable,
                )
            )
        return out

    def wall_now(self) -> float:
        """Now, in wall seconds, as the gateway's clock tells it (batches and files are dated by this)."""
        return self._wall0 + (self.clock.now() - self._clock0)

    def knows_model(self, model: str) -> bool:
        """Whether requests for ``model`` are served (always, unless the scenario is strict_models)."""
        return not self.scenario.strict_models or model in self._model_ids

    def max_output_tokens(self, model: str) -> int | None:
        """The largest ``max_tokens`` a request for ``model`` may ask (None: no limit known); see
        ``catalogue.max_output_tokens``."""
        return max_output_tokens(model, self.models)

    def reset(self, session: str | None = None) -> None:
        """Forget the journal, rule state and held message threads: all of it (uploaded files and batches
        too), or one session's."""
        self.engine.reset(session)
        self.threads.clear(session)
        self.journal.clear(session)
        if session is None:
            self.files.clear()
            self.batches.clear()
            self.rate_limiter.reset()
            self.generations.clear()
        self._clear_responses(session)
