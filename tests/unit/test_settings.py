"""``mockgw serve`` settings: flags over ``MOCKGW_*`` variables over defaults, resolved without a process."""

from __future__ import annotations

import os

import pytest

from mockgw.cli.main import build_parser, serve_flags
from mockgw.cli.settings import ServeFlags, ServeSettings, SettingsError, resolve
from mockgw.server.defaults import LOCALHOST_ORIGINS, Timeouts


def flags(*argv: str) -> ServeFlags:
    """The flags of ``mockgw serve ARGV``, parsed by the real command line."""
    return serve_flags(build_parser().parse_args(["serve", *argv]))


def test_nothing_given_means_the_defaults() -> None:
    assert resolve(flags(), {}) == ServeSettings()
    assert ServeSettings().host == "127.0.0.1"  # loopback unless asked: a mock must not face a network
    assert ServeSettings().cors_origins == LOCALHOST_ORIGINS


def test_every_setting_comes_from_the_environment() -> None:
    env = {
        "MOCKGW_SCENARIO": "weather,/srv/extra.yaml",
        "MOCKGW_HOST": "0.0.0.0",
        "MOCKGW_PORT": "9000",
        "MOCKGW_API_KEYS": "sk-one, sk-two",
        "MOCKGW_ADMIN_TOKEN": "admin-secret",
        "MOCKGW_SEED": "7",
        "MOCKGW_WATCH": "true",
        "MOCKGW_OVERRIDES": "off",
        "MOCKGW_CORS_ORIGINS": "http://frontend:3000,localhost",
        "MOCKGW_LOG_FORMAT": "json",
        "MOCKGW_DATA_DIR": "/var/lib/mockgw",
        "MOCKGW_ALLOW_HOST": "mockgw, .dev.test",
    }
    assert resolve(flags(), env) == ServeSettings(
        scenarios=("weather", "/srv/extra.yaml"),
        host="0.0.0.0",
        port=9000,
        api_keys=("sk-one", "sk-two"),
        admin_token="admin-secret",
        seed=7,
        watch=True,
        overrides=False,
        cors_origins=("http://frontend:3000", *LOCALHOST_ORIGINS),
        log_format="json",
        data_dir="/var/lib/mockgw",
        allowed_hosts=("mockgw", ".dev.test"),
    )


def test_flags_win_over_the_environment_setting_by_setting() -> None:
    env = {
        "MOCKGW_SCENARIO": "hello",
        "MOCKGW_HOST": "0.0.0.0",
        "MOCKGW_PORT": "9000",
        "MOCKGW_API_KEYS": "sk-env",
        "MOCKGW_ADMIN_TOKEN": "env-token",
        "MOCKGW_WATCH": "1",
        "MOCKGW_OVERRIDES": "0",
        "MOCKGW_CORS_ORIGINS": "http://env.test",
        "MOCKGW_LOG_FORMAT": "json",
        "MOCKGW_DATA_DIR": "/env/data",
    }
    given = flags(
        "--scenario", "weather", "--port", "0", "--api-key", "sk-flag", "--admin-token", "flag-token",
        "--no-watch", "--overrides", "--cors-origin", "http://flag.test", "--log-format", "text",
        "--data-dir", "/flag/data",
    )  # fmt: skip
    settings = resolve(given, env)
    assert settings.scenarios == ("weather",)
    assert settings.port == 0  # a flag of 0 is given, not absent
    assert settings.api_keys == ("sk-flag",)
    assert settings.admin_token == "flag-token"
    assert settings.watch is False
    assert settings.overrides is True
    assert settings.cors_origins == ("http://flag.test",)
    assert settings.log_format == "text"
    assert settings.data_dir == "/flag/data"
    assert settings.host == "0.0.0.0"  # no --host: the environment still decides this one


def test_the_scenario_list_splits_on_commas_and_the_path_separator() -> None:
    env = {"MOCKGW_SCENARIO": f" a.yaml ,b.yaml{os.pathsep}scenarios/ ,, "}
    assert resolve(flags(), env).scenarios == ("a.yaml", "b.yaml", "scenarios/")


def test_an_empty_variable_counts_as_unset() -> None:
    env = {"MOCKGW_ADMIN_TOKEN": "", "MOCKGW_PORT": " ", "MOCKGW_API_KEYS": "", "MOCKGW_SCENARIO": ""}
    assert resolve(flags(), env) == ServeSettings()


@pytest.mark.parametrize(
    ("argv", "env", "origins"),
    [
        ((), {}, LOCALHOST_ORIGINS),
        (("--no-cors",), {}, ()),
        ((), {"MOCKGW_CORS": "false"}, ()),
        (("--cors",), {"MOCKGW_CORS": "false"}, LOCALHOST_ORIGINS),
        (("--cors-origin", "*"), {}, ("*",)),
        (("--cors-origin", "http://a.test/", "--cors-origin", "localhost"), {}, ("http://a.test", *LOCALHOST_ORIGINS)),
        (("--no-cors", "--cors-origin", "https://app.test"), {}, ()),
    ],
)  # fmt: skip
def test_cors_origins(argv: tuple[str, ...], env: dict[str, str], origins: tuple[str, ...]) -> None:
    assert resolve(flags(*argv), env).cors_origins == origins


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        ((), {"MOCKGW_PORT": "eighty"}, "MOCKGW_PORT: expected a whole number, got 'eighty'"),
        ((), {"MOCKGW_PORT": "70000"}, "MOCKGW_PORT: a port is between 0 and 65535, got 70000"),
        (("--port", "-1"), {}, "--port: a port is between 0 and 65535, got -1"),
        ((), {"MOCKGW_WATCH": "?"}, "MOCKGW_WATCH: expected one of 1, true, yes, on, 0, false, no, off; got '?'"),
        ((), {"MOCKGW_LOG_FORMAT": "xml"}, "MOCKGW_LOG_FORMAT: expected text or json, got 'xml'"),
        ((), {"MOCKGW_SEED": "1.5"}, "MOCKGW_SEED: expected a whole number, got '1.5'"),
        (
            ("--cors-origin", "localhost:3000"),
            {},
            "--cors-origin: 'localhost:3000' is not an origin; write scheme://host[:port] (http://localhost:3000), "
            "with :* for any port, or * for any origin",
        ),
    ],
)  # fmt: skip
def test_unusable_values_are_refused_naming_the_flag_or_variable(
    argv: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        resolve(flags(*argv), env)
    assert str(caught.value) == message


def test_serve_refuses_a_bad_variable_before_loading_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from mockgw.cli.main import main

    monkeypatch.setenv("MOCKGW_PORT", "eighty")
    assert main(["serve"]) == 2
    assert capsys.readouterr().err == "mockgw: MOCKGW_PORT: expected a whole number, got 'eighty'\n"


# ---------------------------------------------------------------- limits (README "Limits")


def test_limits_come_from_flags_over_variables_over_defaults() -> None:
    env = {"MOCKGW_IDLE_TIMEOUT": "5", "MOCKGW_BODY_TIMEOUT": "2.5", "MOCKGW_MAX_SESSIONS": "50"}
    settings = resolve(flags("--idle-timeout", "7", "--journal-bytes", "1048576"), env)
    assert settings.timeouts == Timeouts(idle=7.0, header=10.0, body=2.5, write=30.0)
    assert (settings.journal_bytes, settings.journal_body_bytes, settings.max_sessions) == (1048576, 1 << 20, 50)


def test_journal_size_comes_from_its_flag_over_its_variable() -> None:
    assert resolve(flags(), {}).journal_size == 1000
    assert resolve(flags(), {"MOCKGW_JOURNAL_SIZE": "50"}).journal_size == 50
    assert resolve(flags("--journal-size", "20"), {"MOCKGW_JOURNAL_SIZE": "50"}).journal_size == 20


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (("--journal-size", "0"), {}, "--journal-size: expected a number above 0, got 0"),
        ((), {"MOCKGW_JOURNAL_SIZE": "many"}, "MOCKGW_JOURNAL_SIZE: expected a whole number, got 'many'"),
        (("--journal-size", "1000001"), {}, "--journal-size: at most 1000000 entries, got 1000001"),
        ((), {"MOCKGW_JOURNAL_SIZE": "2000000"}, "MOCKGW_JOURNAL_SIZE: at most 1000000 entries, got 2000000"),
        (("--write-timeout", "0"), {}, "--write-timeout: expected a number above 0, got 0.0"),
        ((), {"MOCKGW_HEADER_TIMEOUT": "nan"}, "MOCKGW_HEADER_TIMEOUT: expected a number above 0, got nan"),
        ((), {"MOCKGW_HEADER_TIMEOUT": "soon"}, "MOCKGW_HEADER_TIMEOUT: expected a number of seconds, got 'soon'"),
        (("--max-sessions", "-1"), {}, "--max-sessions: expected a number above 0, got -1"),
        ((), {"MOCKGW_JOURNAL_BODY_BYTES": "1MB"}, "MOCKGW_JOURNAL_BODY_BYTES: expected a whole number"),
    ],
)
def test_a_limit_out_of_its_range_is_refused(argv: tuple[str, ...], env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("(", r"\(")):
        resolve(flags(*argv), env)
