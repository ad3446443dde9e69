import pytest

from interviewer.cli import build_parser, main


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: interviewer" in capsys.readouterr().out


def test_core_commands_are_registered() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"index", "search"} <= set(commands)


def test_unknown_pack_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "--pack", "no-such-pack"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown pack 'no-such-pack'" in err[0]


def test_invalid_settings_are_one_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LLM_TIMEOUT", "not-a-number")
    assert main(["pack", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("interviewer: error: invalid settings") and "LLM_TIMEOUT" in err
