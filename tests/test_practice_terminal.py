"""`interviewer practice` at a terminal: lines are read with editing and history (readline), and
`/end` typed after part of an answer grades it and stops without showing another question."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import pytest
from session_support import KeywordGrader
from test_practice_cli import _answers, _run, _sid

from interviewer.cli.commands.practice import read_inputs, terminal_reader
from interviewer.cli.main import main

COMMANDS = {"/end": "/end", "/skip": "/skip", "/hint": "/hint"}


def test_end_after_an_answer_prints_no_question_before_stopping(
        mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, out, err = _run(monkeypatch, capsys, ["practice", "--stage", "technical", "--questions",
                                              "3", "--seed", "6"],
                        "I would use zebracorn drift\n/end\n\n")
    assert rc == 0, err
    assert _answers(tmp_path, _sid(out)) == ["I would use zebracorn drift"]
    after = out.split("/end: the answer typed so far is sent first", 1)[1]
    before_stop = after.split("Let's stop here", 1)[0]
    assert "--- feedback ---" in before_stop  # the answer was graded and its card shown ...
    assert not re.search(r"^Tell me about [^\n]*\?$", before_stop, re.M)  # ... no question
    assert "Follow-up" not in before_stop and "You haven't said much" not in before_stop
    assert "1 answered question (0 skipped, 3 planned)" in out


def test_a_terminal_reads_lines_through_readline(monkeypatch: pytest.MonkeyPatch) -> None:
    typed = iter(["first line", "second line", "", "/end"])
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("builtins.input", fake_input)
    entries = list(read_inputs(io.StringIO("never read"), commands=COMMANDS,
                               reader=terminal_reader()))
    assert [e.text for e in entries] == ["first line\nsecond line", "/end"]
    assert prompts == ["> ", "... ", "... ", "> ", "> "]  # the prompt goes through input()
    assert "readline" in sys.modules  # loaded: input() edits lines and keeps history


def test_practice_at_a_terminal_uses_the_line_editor(
        mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    typed = iter(["zebracorn drift", "", "/end"])
    used: list[str] = []

    def fake_input(prompt: str = "") -> str:
        used.append(prompt)
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr("sys.stdin", Tty("must not be read directly"))
    monkeypatch.setattr("builtins.input", fake_input)
    rc = main(["practice", "--stage", "technical", "--questions", "2", "--seed", "6"])
    out = capsys.readouterr().out
    assert rc == 0 and used[:2] == ["> ", "... "]
    assert "Let's stop here" in out
