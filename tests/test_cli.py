import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from interviewer.cli.main import build_parser, main


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


def test_any_command_into_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`interviewer ... | head`: the reader leaves; no traceback, exit 1 (as Python does)."""
    code = (
        "import argparse, sys\n"
        "import interviewer.cli.main as cli\n"
        "def build(argv=None):\n"
        "    p = argparse.ArgumentParser()\n"
        "    sub = p.add_subparsers()\n"
        "    def run(args, settings):\n"
        "        for _ in range(100000):\n"
        "            print('line ' * 20)\n"
        "    sub.add_parser('spew').set_defaults(func=run)\n"
        "    return p\n"
        "cli.build_parser = build\n"
        "sys.exit(cli.main(['spew']))\n"
    )
    env = {**os.environ, "INTERVIEWER_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(100)
    proc.stdout.close()  # the reader leaves
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_help_imports_no_command_and_nothing_heavy() -> None:
    """`interviewer --help` lists every command from the table, importing none of them."""
    code = ("import sys, contextlib, io\n"
            "from interviewer.cli.main import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            "    try:\n"
            "        main(['--help'])\n"
            "    except SystemExit:\n"
            "        pass\n"
            "heavy = [m for m in ('langchain_core', 'chromadb', 'onnxruntime', 'numpy',\n"
            "         'chainlit', 'interviewer.cli.commands.practice', 'evals.grading')\n"
            "         if m in sys.modules]\n"
            "print('HEAVY', heavy)\n"
            "print('LISTED', all(c in out.getvalue() for c in ('practice', 'eval', 'dev')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr
    assert "LISTED True" in proc.stdout


def test_a_command_imports_only_itself(capsys: pytest.CaptureFixture[str]) -> None:
    parser = build_parser(["search", "--help"])
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert sub.choices["search"].get_default("func") is not None  # registered in full
    assert sub.choices["practice"].get_default("func") is None  # a help line only


def test_dev_tools_parse_their_own_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["dev", "baseline", "--help"])
    assert e.value.code == 0
    assert "--update" in capsys.readouterr().out  # the baseline tool's own flag
    assert main(["dev"]) == 2  # no tool named: a clear error
    assert "name a dev tool" in capsys.readouterr().err
