"""``mockgw serve | validate | schema | scenarios | exec``: thin over the app factory and the loader."""

from __future__ import annotations

import argparse
import asyncio
import difflib
import errno
import json
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from mockgw._startup import collector_paused
from mockgw._version import __version__

with collector_paused():  # the server and the models: most of start-up (mockgw/_startup.py)
    from mockgw.cli import heap, workers
    from mockgw.cli.settings import DEFAULT_PORT, LOG_FORMATS, ServeFlags, SettingsError, host_names, resolve
    from mockgw.scenario.loader import ScenarioError, list_bundled, load_scenarios
    from mockgw.scenario.schema import Scenario
    from mockgw.server.app import RunningServer, start_server
    from mockgw.server.datadir import DataDir
    from mockgw.server.logs import configure_logging
    from mockgw.server.state import GatewayConfig
    from mockgw.server.watch import ScenarioWatcher


def _fail(message: str, code: int = 1) -> int:
    print(f"mockgw: {message}", file=sys.stderr)
    return code


def _load(sources: Sequence[str]) -> Scenario | None:
    try:
        return load_scenarios(list(sources))
    except ScenarioError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"mockgw: {count} problem{'s' if count != 1 else ''}; nothing served.", file=sys.stderr)
        return None


def banner(server: RunningServer | str, scenario: Scenario, api_keys: Sequence[str], processes: int = 1) -> str:
    """What ``serve`` prints: the URL (``server``'s, or given) and the exact environment lines for the SDKs
    (Anthropic's and OpenAI's) and Claude Code."""
    key = api_keys[0] if api_keys else (scenario.auth.keys[0] if scenario.auth and scenario.auth.keys else "mockgw")
    rules = len(scenario.rules)
    url = server if isinstance(server, str) else server.url
    by = f" by {processes} worker processes" if processes > 1 else ""
    return "\n".join(
        [
            f"mockgw {__version__} serving scenario '{scenario.name}' ({rules} rule{'s' if rules != 1 else ''})"
            f" at {url}{by}",
            "",
            "Python / TypeScript SDK:",
            f"  export ANTHROPIC_BASE_URL={url}",
            f"  export ANTHROPIC_API_KEY={key}",
            "",
            "Claude Code:",
            f"  export ANTHROPIC_BASE_URL={url}",
            f"  export ANTHROPIC_AUTH_TOKEN={key}",
            '  export ANTHROPIC_API_KEY=""',
            "",
            "OpenAI Python / TypeScript SDK (chat completions, responses, embeddings, models):",
            f"  export OPENAI_BASE_URL={url}/v1",
            f"  export OPENAI_API_KEY={key}",
            "",
            "AI SDK gateway provider (createGateway({ baseURL: process.env.AI_GATEWAY_BASE_URL })):",
            f"  export AI_GATEWAY_BASE_URL={url}/v4/ai",
            f"  export AI_GATEWAY_API_KEY={key}",
            "",
            "Press Ctrl-C to stop.",
        ]
    )


async def _serve(
    config: GatewayConfig, host: str, port: int, watch: Sequence[str] | None = None, ready_fd: int | None = None
) -> int:
    """Serve until SIGINT/SIGTERM; with ``watch`` (the scenario sources), reload them when they change.

    ``ready_fd`` (a worker's): the pipe to the parent, told once this process listens.
    """
    try:
        server = await start_server(config, host, port, reuse_port=config.worker is not None)
    except OSError as exc:
        return _fail(_cannot_listen(host, port, exc))
    heap.settle()  # start-up's objects out of the collector's way, full collections rarer (cli/heap.py)
    workers.say_ready(ready_fd)
    if config.worker is None:  # a worker's parent printed the banner
        print(banner(server, config.scenario, config.api_keys), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    watcher = None if watch is None else asyncio.create_task(ScenarioWatcher(watch, server.gateway.load).run())
    orphan = None if config.worker is None else asyncio.create_task(workers.stop_when_orphaned(stop.set))
    try:
        await stop.wait()
    finally:
        for task in (watcher, orphan):
            if task is not None:
                task.cancel()
        await server.stop()
    if config.worker is None:  # a worker's parent says it once for all of them
        print("mockgw: stopped.", flush=True)
    return 0


def _cannot_listen(host: str, port: int, exc: OSError) -> str:
    reason = "address already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
    return f"cannot listen on {host}:{port}: {reason}"


def _serve_workers(args: argparse.Namespace, scenario: Scenario, host: str, port: int, keys: Sequence[str]) -> int:
    """``serve --workers N`` (N > 1): check the scenario is stateless, hold the port, run N workers on it."""
    problem = workers.refusal(scenario, args.workers)
    if problem is not None:
        return _fail(problem, 2)
    try:
        held = workers.reserve_port(host, port)
    except OSError as exc:
        return _fail(_cannot_listen(host, port, exc))
    with held:
        bound = int(held.getsockname()[1])
        url = f"http://{f'[{host}]' if ':' in host else host}:{bound}"
        given: list[str] = args.argv
        code = workers.run_workers(
            workers.worker_argv(given[given.index("serve") + 1 :]),
            args.workers,
            bound,
            on_ready=lambda: print(banner(url, scenario, keys, args.workers), flush=True),
        )
    print("mockgw: stopped.", flush=True)
    return code


# (flag, type, metavar, help): each also has a MOCKGW_* variable, the flag's name in capitals.
_LIMITS: tuple[tuple[str, type, str, str], ...] = (
    ("--idle-timeout", float, "S", "close a kept-alive connection idle this long (default: 60)"),
    ("--header-timeout", float, "S", "close a connection whose request head takes longer (default: 10)"),
    ("--body-timeout", float, "S", "answer 408 when a request body sends no byte for this long (default: 30)"),
    ("--write-timeout", float, "S", "drop a client that takes no byte of an answer for this long (default: 30)"),
    ("--journal-size", int, "N", "journal the latest N requests; the oldest go first (default: 1000)"),
    ("--journal-bytes", int, "N", "journal at most about N bytes; the oldest entries go first (default: 64 MiB)"),
    ("--journal-body-bytes", int, "N", "journal a body over N bytes shortened and marked (default: 1 MiB)"),
    ("--max-sessions", int, "N", "keep rule state of N sessions; the least recently used goes (default: 10000)"),
)
LIMIT_FLAGS = tuple(flag[2:].replace("-", "_") for flag, *_ in _LIMITS)


def add_limit_flags(parser: argparse.ArgumentParser) -> None:
    """The timeout and memory-bound flags of ``serve`` (README "Limits")."""
    group = parser.add_argument_group("limits", "timeouts and memory bounds (README: Limits)")
    for flag, kind, metavar, text in _LIMITS:
        group.add_argument(flag, type=kind, metavar=metavar, help=text)


def serve_flags(args: argparse.Namespace) -> ServeFlags:
    """The serve flags as given (``None``: not given, so a ``MOCKGW_*`` variable may decide)."""
    return ServeFlags(
        scenarios=args.scenario,
        host=args.host,
        port=args.port,
        api_keys=args.api_key,
        admin_token=args.admin_token,
        seed=args.seed,
        watch=args.watch,
        overrides=args.overrides,
        cors=args.cors,
        cors_origins=args.cors_origin,
        log_format=args.log_format,
        data_dir=args.data_dir,
        allow_hosts=args.allow_host,
        **_limit_flags(args),
    )


def _limit_flags(args: argparse.Namespace) -> dict[str, Any]:
    """The timeout and memory-bound flags (``None``: not given); see ``add_limit_flags``."""
    return {name: getattr(args, name) for name in LIMIT_FLAGS}


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        settings = resolve(serve_flags(args), os.environ)
    except SettingsError as exc:
        return _fail(str(exc), 2)
    configure_logging(settings.log_format)
    scenario = _load(settings.scenarios)
    if scenario is None:
        return 2
    if settings.data_dir:
        try:
            DataDir(settings.data_dir)  # made and checked here, so a bad folder is not taken for a bad address
        except OSError as exc:
            source = "--data-dir" if args.data_dir else "MOCKGW_DATA_DIR"
            return _fail(f"{source} {settings.data_dir}: cannot keep files there: {exc.strerror or exc}", 2)
    config = GatewayConfig(
        scenario=scenario,
        seed=settings.seed,
        api_keys=settings.api_keys,
        admin_token=settings.admin_token,
        overrides=settings.overrides,
        cors_origins=settings.cors_origins,
        data_dir=settings.data_dir,
        # The name mockgw listens on is one its clients use (an address is answered anyway).
        allowed_hosts=(*settings.allowed_hosts, settings.host),
        timeouts=settings.timeouts,
        journal_size=settings.journal_size,
        journal_bytes=settings.journal_bytes,
        journal_body_bytes=settings.journal_body_bytes,
        max_sessions=settings.max_sessions,
        worker=args.worker_number,
    )
    if args.workers is None:  # not given: MOCKGW_WORKERS may say
        try:
            args.workers = _positive(os.environ.get("MOCKGW_WORKERS", "1"))
        except argparse.ArgumentTypeError as exc:
            return _fail(f"MOCKGW_WORKERS: {exc}", 2)
    if args.workers > 1 and args.worker_number is None:
        if settings.data_dir:
            return _fail(f"--workers {args.workers}: a data dir is written by one process; serve it with one worker", 2)
        return _serve_workers(args, scenario, settings.host, settings.port, config.api_keys)
    watch = settings.scenarios if settings.watch else None
    return asyncio.run(_serve(config, settings.host, settings.port, watch, args.ready_fd))


def cmd_validate(args: argparse.Namespace) -> int:
    ok = True
    for source in args.files:
        scenario = _load([source])
        if scenario is None:
            ok = False
        else:
            count = len(scenario.rules)
            print(f"{source}: ok ({count} rule{'s' if count != 1 else ''})")
    return 0 if ok else 2


def cmd_schema(args: argparse.Namespace) -> int:
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    print(json.dumps(schema, indent=2))
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    bundled = list_bundled()
    width = max((len(name) for name, _ in bundled), default=0)
    for name, description in bundled:
        print(f"{name:<{width}}  {description}")
    return 0


def cmd_exec(args: argparse.Namespace) -> int:
    from mockgw.cli import exec as exec_  # imported here: only `exec` needs the thread-based gateway

    command = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        return _fail("exec needs a command to run: mockgw exec [--scenario F] -- CMD ARGS...", 2)
    scenario = _load(args.scenario or [])
    if scenario is None:
        return 2
    return exec_.run(command, scenario, seed=args.seed, api_keys=tuple(args.api_key or ()), journal=args.journal)


def cmd_record(args: argparse.Namespace) -> int:
    from pathlib import Path

    from mockgw.server.proxy import check_upstream, record_until_signalled

    problem = check_upstream(args.upstream)
    if problem is not None:
        return _fail(f"--upstream: {problem}", 2)
    try:
        allowed = host_names(args.allow_host or (), "--allow-host")
    except SettingsError as exc:
        return _fail(str(exc), 2)
    out = Path(args.out)
    # Checked now, not at Ctrl-C: a recording session must not end in "cannot write".
    if not out.parent.is_dir():
        return _fail(f"--out: no such folder: {out.parent}", 2)
    if out.is_dir():
        return _fail(f"--out: {out} is a folder; give a file name like session.yaml", 2)
    return asyncio.run(record_until_signalled(args.upstream, out, args.host, args.port, allowed))


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockgw",
        description="A local mock of an Anthropic-compatible LLM gateway, driven by YAML scenarios.",
    )
    parser.add_argument("--version", action="version", version=f"mockgw {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser(
        "serve",
        help="run the mock gateway",
        description="Run the mock gateway. Every flag has a MOCKGW_* environment variable (MOCKGW_SCENARIO,"
        " MOCKGW_HOST, MOCKGW_PORT, MOCKGW_API_KEYS, MOCKGW_ADMIN_TOKEN, MOCKGW_SEED, MOCKGW_WATCH,"
        " MOCKGW_OVERRIDES, MOCKGW_CORS, MOCKGW_CORS_ORIGINS, MOCKGW_LOG_FORMAT, MOCKGW_DATA_DIR, MOCKGW_WORKERS, and"
        " MOCKGW_IDLE_TIMEOUT and the other limits); a flag wins over its variable. See docs/admin.md.",
    )
    serve.add_argument(
        "--scenario",
        action="append",
        metavar="FILE",
        help="scenario file, folder or bundled name; repeat to combine (default: the bundled 'hello')",
    )
    serve.add_argument("--host", help="address to bind (default: 127.0.0.1, loopback only)")
    serve.add_argument(
        "--allow-host",
        action="append",
        metavar="NAME",
        help="answer requests addressed to this host name too (loopback names and IP addresses always are;"
        " .domain: it and its subdomains; *: any); repeatable. Guards against DNS rebinding",
    )
    serve.add_argument("--port", type=int, help=f"port (default: {DEFAULT_PORT}; 0: any free)")
    serve.add_argument("--api-key", action="append", metavar="KEY", help="accept only this key; repeatable")
    serve.add_argument("--seed", type=int, help="seed for ids, faker text and jitter (default: the scenario's)")
    serve.add_argument("--admin-token", metavar="TOKEN", help="require this token on every /_mockgw/ admin call")
    serve.add_argument(
        "--watch",
        action=argparse.BooleanOptionalAction,
        help="reload the scenario files when they change (a broken edit keeps the last good scenario)",
    )
    serve.add_argument(
        "--overrides",
        action=argparse.BooleanOptionalAction,
        help="honour the x-mockgw-status, x-mockgw-rule and x-mockgw-delay-ms request headers (default: on)",
    )
    serve.add_argument(
        "--cors", action=argparse.BooleanOptionalAction, help="answer browsers' CORS requests (default: on)"
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="allow this browser origin (http://app.test:3000; :* any port; * any origin; 'localhost' the"
        " default localhost origins); repeatable (default: localhost)",
    )
    serve.add_argument("--log-format", choices=LOG_FORMATS, help="request log on stderr: text (default) or json")
    serve.add_argument(
        "--data-dir",
        metavar="DIR",
        help="keep uploaded files and message batches in DIR across restarts (default: in memory only)",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        metavar="N",
        help="answer with N processes on one port, for load tests; stateless scenarios only (default: 1)",
    )
    serve.add_argument("--worker-number", type=int, help=argparse.SUPPRESS)  # set by --workers for each worker
    serve.add_argument("--ready-fd", type=int, help=argparse.SUPPRESS)  # a worker's pipe to say it listens
    add_limit_flags(serve)
    serve.set_defaults(func=cmd_serve)

    validate = sub.add_parser("validate", help="check scenario files and report every problem")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(func=cmd_validate)

    schema = sub.add_parser("schema", help="print the JSON Schema of scenario files (for editor completion)")
    schema.set_defaults(func=cmd_schema)

    scenarios = sub.add_parser("scenarios", help="list the bundled scenarios")
    scenarios.set_defaults(func=cmd_scenarios)

    exec_ = sub.add_parser(
        "exec",
        help="run a command (claude -p ..., a script) against a mockgw started just for it",
        description="Start mockgw on a free port, run CMD with ANTHROPIC_BASE_URL, ANTHROPIC_AUTH_TOKEN and"
        ' ANTHROPIC_API_KEY="" pointing at it (plus the variables that keep Claude Code from calling home),'
        " stop mockgw when CMD ends, and exit with CMD's exit code.",
    )
    exec_.add_argument(
        "--scenario",
        action="append",
        metavar="FILE",
        help="scenario file, folder or bundled name; repeat to combine (default: the bundled 'hello')",
    )
    exec_.add_argument(
        "--journal", metavar="OUT.jsonl", help="write every request and its answer here, one JSON per line"
    )
    exec_.add_argument("--seed", type=int, help="seed for ids, faker text and jitter (default: the scenario's)")
    exec_.add_argument("--api-key", action="append", metavar="KEY", help="accept only this key (CMD gets the first)")
    exec_.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ARGS...", help="the command to run")
    exec_.set_defaults(func=cmd_exec)

    record = sub.add_parser(
        "record",
        help="proxy to a real upstream and write what it answered as a scenario",
        description="Relay every request to UPSTREAM unchanged (streams included) and, on Ctrl-C or SIGTERM,"
        " write a scenario whose rules replay the /v1/messages answers seen. API keys and headers are never"
        " written.",
    )
    record.add_argument(
        "--upstream", required=True, metavar="URL", help="the real gateway, e.g. https://ai-gateway.vercel.sh"
    )
    record.add_argument("--out", required=True, metavar="FILE.yaml", help="the scenario file to write on exit")
    record.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    record.add_argument(
        "--allow-host",
        action="append",
        metavar="NAME",
        help="relay requests addressed to this host name too (loopback names and IP addresses always are;"
        " .domain: it and its subdomains; *: any); repeatable. Guards against DNS rebinding",
    )
    record.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT}; 0: any free)")
    record.set_defaults(func=cmd_record)
    return parser


def _command_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> tuple[str, argparse.ArgumentParser]:
    """The subcommand that parsed ``args`` (``serve``, ``validate`` …) and its parser.

    Found by its ``func``, not ``args.command``: exec's own ``command`` argument takes that name over.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command_parser in action.choices.items():
                if command_parser.get_default("func") is args.func:
                    return name, command_parser
    raise LookupError(args.func)  # pragma: no cover - every subcommand sets its func


def _unrecognized(parser: argparse.ArgumentParser, unknown: Sequence[str]) -> str:
    """argparse's own message, plus the closest flag of ``parser`` for a mistyped one (``--prot``)."""
    message = f"unrecognized arguments: {' '.join(unknown)}"
    flags = [flag for action in parser._actions for flag in action.option_strings if flag.startswith("--")]
    typed = [arg.split("=", 1)[0] for arg in unknown if arg.startswith("--")]
    close = [match for arg in typed for match in difflib.get_close_matches(arg, flags, n=1)]
    return f"{message} (did you mean {' or '.join(close)}?)" if close else message


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command line (``sys.argv[1:]`` by default); the exit code."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # argparse leaves a subcommand's unknown flags to the top-level parser, whose usage does not show the
        # subcommand's flags (`mockgw serve --prot 9000` printed `usage: mockgw [-h] [--version] {serve,…}`).
        name, command_parser = _command_parser(parser, args)
        given = list(sys.argv[1:] if argv is None else argv)
        before_command = unknown[0] in given and given.index(unknown[0]) < given.index(name)
        where = parser if before_command else command_parser
        where.error(_unrecognized(where, unknown))
    args.argv = list(sys.argv[1:] if argv is None else argv)  # serve --workers passes them on to each worker
    code: int = args.func(args)
    return code


def run() -> None:
    """Console-script entry point."""
    try:
        code = main()
        sys.stdout.flush()  # inside the try: a reader that went away fails here, not at interpreter exit
    except BrokenPipeError:
        # The reader closed the pipe (`mockgw schema | head`): stop quietly, as Unix tools do. stdout is
        # pointed at /dev/null so that Python's own flush at exit does not fail again (the recipe of the
        # Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(1)
    sys.exit(code)
