"""``mockgw serve`` settings: command-line flags over ``MOCKGW_*`` environment variables over defaults.

Containers configure by environment; a person at a terminal by flags. :func:`resolve` merges the two as a
pure function (flags win, each setting on its own), so the precedence is tested without a process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from mockgw.core.engine import DEFAULT_MAX_SESSIONS
from mockgw.core.journal import DEFAULT_JOURNAL_BODY_BYTES, DEFAULT_JOURNAL_BYTES, DEFAULT_JOURNAL_SIZE
from mockgw.server.defaults import LOCALHOST_ORIGINS, Timeouts

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8788
T = TypeVar("T")
LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")

LOCALHOST = "localhost"  # as a --cors-origin value: LOCALHOST_ORIGINS (server/defaults.py), so they can be kept

_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s?#]+", re.IGNORECASE)
# An --allow-host value: a name (letters, digits, - _ .), optionally starting with "." or "*."; or "*".
_HOST_PATTERN = re.compile(r"\*|(\*?\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")
# --journal-size at most: a bound that is a number, not a typo (the byte bound, --journal-bytes, holds too).
MAX_JOURNAL_SIZE = 1_000_000
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """A flag or environment variable has a value mockgw cannot use; the message names it."""


@dataclass(frozen=True)
class ServeFlags:
    """What was given on the command line; ``None`` means "not given" (the environment may then decide)."""

    scenarios: Sequence[str] | None = None
    host: str | None = None
    port: int | None = None
    api_keys: Sequence[str] | None = None
    admin_token: str | None = None
    seed: int | None = None
    watch: bool | None = None
    overrides: bool | None = None
    cors: bool | None = None
    cors_origins: Sequence[str] | None = None
    log_format: str | None = None
    allow_hosts: Sequence[str] | None = None
    data_dir: str | None = None
    idle_timeout: float | None = None
    header_timeout: float | None = None
    body_timeout: float | None = None
    write_timeout: float | None = None
    journal_size: int | None = None
    journal_bytes: int | None = None
    journal_body_bytes: int | None = None
    max_sessions: int | None = None


@dataclass(frozen=True)
class ServeSettings:
    """The resolved settings of ``mockgw serve``."""

    scenarios: tuple[str, ...] = ()  # empty: the bundled default
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_keys: tuple[str, ...] = ()
    admin_token: str | None = None
    seed: int | None = None
    watch: bool = False
    overrides: bool = True
    cors_origins: tuple[str, ...] = LOCALHOST_ORIGINS  # empty: CORS off
    log_format: LogFormat = "text"
    # Host names answered besides loopback names, IP addresses and --host (--allow-host, MOCKGW_ALLOW_HOST).
    allowed_hosts: tuple[str, ...] = ()
    data_dir: str | None = None  # keep files and batches here across restarts
    timeouts: Timeouts = field(default_factory=Timeouts)
    journal_size: int = DEFAULT_JOURNAL_SIZE  # entries
    journal_bytes: int = DEFAULT_JOURNAL_BYTES
    journal_body_bytes: int = DEFAULT_JOURNAL_BODY_BYTES
    max_sessions: int = DEFAULT_MAX_SESSIONS


# Every variable resolve() reads, for documentation and `--help`.
ENV_VARIABLES = (
    "MOCKGW_SCENARIO",
    "MOCKGW_HOST",
    "MOCKGW_PORT",
    "MOCKGW_API_KEYS",
    "MOCKGW_ADMIN_TOKEN",
    "MOCKGW_SEED",
    "MOCKGW_WATCH",
    "MOCKGW_OVERRIDES",
    "MOCKGW_CORS",
    "MOCKGW_CORS_ORIGINS",
    "MOCKGW_LOG_FORMAT",
    "MOCKGW_ALLOW_HOST",
    "MOCKGW_DATA_DIR",
    "MOCKGW_IDLE_TIMEOUT",
    "MOCKGW_HEADER_TIMEOUT",
    "MOCKGW_BODY_TIMEOUT",
    "MOCKGW_WRITE_TIMEOUT",
    "MOCKGW_JOURNAL_SIZE",
    "MOCKGW_JOURNAL_BYTES",
    "MOCKGW_JOURNAL_BODY_BYTES",
    "MOCKGW_MAX_SESSIONS",
)


def split_list(value: str, separators: str = ",") -> tuple[str, ...]:
    """Items of a separated list, stripped, empty ones dropped."""
    pattern = "|".join(re.escape(s) for s in separators)
    return tuple(item.strip() for item in re.split(pattern, value) if item.strip())


def expand_origins(origins: Sequence[str]) -> tuple[str, ...]:
    """Origins with ``localhost`` replaced by the localhost patterns, duplicates dropped, order kept."""
    out: list[str] = []
    for origin in origins:
        out.extend(LOCALHOST_ORIGINS if origin.strip().lower() == LOCALHOST else [origin.strip().rstrip("/")])
    return tuple(dict.fromkeys(o for o in out if o))


def _env(env: Mapping[str, str], name: str) -> str | None:
    # An empty variable counts as unset: compose files often carry `MOCKGW_ADMIN_TOKEN=` as a placeholder.
    value = env.get(name, "").strip()
    return value or None


def _env_bool(env: Mapping[str, str], name: str) -> bool | None:
    value = _env(env, name)
    if value is None:
        return None
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise SettingsError(f"{name}: expected one of 1, true, yes, on, 0, false, no, off; got {value!r}")


def _env_int(env: Mapping[str, str], name: str) -> int | None:
    value = _env(env, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name}: expected a whole number, got {value!r}") from None


def _env_float(env: Mapping[str, str], name: str) -> float | None:
    value = _env(env, name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise SettingsError(f"{name}: expected a number of seconds, got {value!r}") from None


def _positive(flag: T | None, env: Mapping[str, str], name: str, default: T, read: Any) -> T:
    """A limit from its flag (``--name-like-this``) or variable; SettingsError when it is not above zero."""
    value: T = _pick(flag, read(env, name), default)
    if not isinstance(value, int | float) or not value > 0:  # NaN is not above zero either
        source = "--" + name.removeprefix("MOCKGW_").lower().replace("_", "-") if flag is not None else name
        raise SettingsError(f"{source}: expected a number above 0, got {value!r}")
    return value


def _limits(flags: ServeFlags, env: Mapping[str, str]) -> dict[str, Any]:
    """The timeouts and memory bounds (README "Limits"), each from its flag, variable or default."""
    default = Timeouts()
    timeouts = Timeouts(
        idle=_positive(flags.idle_timeout, env, "MOCKGW_IDLE_TIMEOUT", default.idle, _env_float),
        header=_positive(flags.header_timeout, env, "MOCKGW_HEADER_TIMEOUT", default.header, _env_float),
        body=_positive(flags.body_timeout, env, "MOCKGW_BODY_TIMEOUT", default.body, _env_float),
        write=_positive(flags.write_timeout, env, "MOCKGW_WRITE_TIMEOUT", default.write, _env_float),
    )
    journal_size = _positive(flags.journal_size, env, "MOCKGW_JOURNAL_SIZE", DEFAULT_JOURNAL_SIZE, _env_int)
    if journal_size > MAX_JOURNAL_SIZE:
        source = "--journal-size" if flags.journal_size is not None else "MOCKGW_JOURNAL_SIZE"
        raise SettingsError(f"{source}: at most {MAX_JOURNAL_SIZE} entries, got {journal_size}")
    return {
        "timeouts": timeouts,
        "journal_size": journal_size,
        "journal_bytes": _positive(flags.journal_bytes, env, "MOCKGW_JOURNAL_BYTES", DEFAULT_JOURNAL_BYTES, _env_int),
        "journal_body_bytes": _positive(
            flags.journal_body_bytes, env, "MOCKGW_JOURNAL_BODY_BYTES", DEFAULT_JOURNAL_BODY_BYTES, _env_int
        ),
        "max_sessions": _positive(flags.max_sessions, env, "MOCKGW_MAX_SESSIONS", DEFAULT_MAX_SESSIONS, _env_int),
    }


def _pick(flag: T | None, env: T | None, default: T) -> T:
    """The flag if given, else the environment's value, else the default."""
    if flag is not None:
        return flag
    return env if env is not None else default


def host_names(names: Sequence[str], source: str) -> tuple[str, ...]:
    """``--allow-host`` values checked, lower-cased, duplicates dropped; SettingsError naming ``source`` for
    one that is not a host name (``serve`` and ``record`` take the same)."""
    for name in names:
        if not _HOST_PATTERN.fullmatch(name.strip()):
            raise SettingsError(
                f"{source}: {name!r} is not a host name; write a name (mockgw, app.test), .domain for a domain "
                "and its subdomains, or * for any (no scheme, port or path)"
            )
    return tuple(dict.fromkeys(h.strip().lower() for h in names))


def resolve(flags: ServeFlags, env: Mapping[str, str]) -> ServeSettings:
    """Merge flags over environment over defaults, setting by setting. Raises SettingsError.

    ``MOCKGW_SCENARIO`` is split on commas and on ``os.pathsep``; ``MOCKGW_API_KEYS`` and
    ``MOCKGW_CORS_ORIGINS`` on commas. Booleans read ``1/true/yes/on`` and ``0/false/no/off``.
    """
    env_scenarios = _env(env, "MOCKGW_SCENARIO")
    scenarios = _pick(flags.scenarios, split_list(env_scenarios, "," + os.pathsep) if env_scenarios else None, ())

    port = _pick(flags.port, _env_int(env, "MOCKGW_PORT"), DEFAULT_PORT)
    if not 0 <= port <= 65535:
        source = "--port" if flags.port is not None else "MOCKGW_PORT"
        raise SettingsError(f"{source}: a port is between 0 and 65535, got {port}")

    env_keys = _env(env, "MOCKGW_API_KEYS")
    api_keys = _pick(flags.api_keys, split_list(env_keys) if env_keys else None, ())

    log_format = _pick(flags.log_format, _env(env, "MOCKGW_LOG_FORMAT"), "text").lower()
    if log_format not in LOG_FORMATS:
        source = "--log-format" if flags.log_format is not None else "MOCKGW_LOG_FORMAT"
        raise SettingsError(f"{source}: expected text or json, got {log_format!r}")

    cors = _pick(flags.cors, _env_bool(env, "MOCKGW_CORS"), True)
    env_origins = _env(env, "MOCKGW_CORS_ORIGINS")
    origins = _pick(flags.cors_origins, split_list(env_origins) if env_origins else None, (LOCALHOST,))

    for origin in expand_origins(origins):
        if not (origin == "*" or _ORIGIN.fullmatch(origin)):
            source = "--cors-origin" if flags.cors_origins is not None else "MOCKGW_CORS_ORIGINS"
            raise SettingsError(
                f"{source}: {origin!r} is not an origin; write scheme://host[:port] (http://localhost:3000), "
                "with :* for any port, or * for any origin"
            )

    host = _pick(flags.host, _env(env, "MOCKGW_HOST"), DEFAULT_HOST)
    env_hosts = _env(env, "MOCKGW_ALLOW_HOST")
    allow_hosts = _pick(flags.allow_hosts, split_list(env_hosts) if env_hosts else None, ())
    allowed_hosts = host_names(allow_hosts, "--allow-host" if flags.allow_hosts is not None else "MOCKGW_ALLOW_HOST")

    return ServeSettings(
        scenarios=tuple(scenarios),
        host=host,
        port=port,
        api_keys=tuple(k for k in api_keys if k),
        admin_token=flags.admin_token or _env(env, "MOCKGW_ADMIN_TOKEN"),
        seed=flags.seed if flags.seed is not None else _env_int(env, "MOCKGW_SEED"),
        watch=_pick(flags.watch, _env_bool(env, "MOCKGW_WATCH"), False),
        overrides=_pick(flags.overrides, _env_bool(env, "MOCKGW_OVERRIDES"), True),
        cors_origins=expand_origins(origins) if cors else (),
        log_format=log_format,
        data_dir=flags.data_dir or _env(env, "MOCKGW_DATA_DIR"),
        allowed_hosts=allowed_hosts,
        **_limits(flags, env),
    )
