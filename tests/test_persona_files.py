"""Personas written as data (evals/datasets/personas_v1.yaml and users' own files): loading,
how they play, and the eval's bound check on their grades."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from session_support import KeywordGrader

from evals import conduct
from evals.conduct import DEFAULT_PERSONA_FILE, run_conduct_eval
from evals.metrics.conduct import check_persona_bounds
from evals.personas import (
    PERSONAS,
    CandidateTurn,
    ScriptPersona,
    ScriptSpec,
    load_persona_file,
    make_persona,
)
from interviewer.core.errors import InputError
from interviewer.core.pack import Pack, load_pack
from interviewer.core.settings import PROJECT_ROOT, Settings


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack(PROJECT_ROOT / "knowledge", "kraken-ml-engineer")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "personas.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_committed_file_loads_and_adds_new_names() -> None:
    pf = load_persona_file(DEFAULT_PERSONA_FILE)
    names = [p.name for p in pf.personas]
    assert pf.version == "personas_v1" and len(names) >= 8
    assert not set(names) & set(PERSONAS)
    assert all(p.description for p in pf.personas)
    # the grade-bounded ones are the point of the file: they must stay bounded
    assert {"parrot", "rambler", "keyword-salad", "grade-demander"} <= {
        p.name for p in pf.personas if p.expect_max_mean is not None}


@pytest.mark.parametrize(("text", "needle"), [
    ("version: x\npersonas:\n  - name: Bad Name\n    description: d\n    main: [hi]\n",
     "name"),
    ("version: x\npersonas:\n  - name: strong\n    description: d\n    main: [hi]\n",
     "built-in"),
    ("version: x\npersonas:\n  - {name: aa, description: d, main: [x]}\n"
     "  - {name: aa, description: d, main: [y]}\n", "unique"),
    ("version: x\npersonas:\n  - {name: aa, description: d, main: []}\n", "main"),
    ("version: x\npersonas: [unclosed\n", "invalid persona file"),
])
def test_a_bad_file_is_a_clear_input_error(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises(InputError, match="personas.yaml") as info:
        load_persona_file(_write(tmp_path, text))
    assert needle in str(info.value)


def test_a_missing_file_is_a_clear_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read persona file"):
        load_persona_file(tmp_path / "nope.yaml")


def test_a_script_persona_plays_its_lines_by_attempt_then_skips(pack: Pack) -> None:
    q = pack.question("machine-learning-1")
    spec = ScriptSpec(name="echo", description="d", main=["/hint", "So: {question}"],
                      follow_up=["You asked: {prompt}"])
    p = make_persona("echo", scripts={"echo": spec})
    assert isinstance(p, ScriptPersona)
    assert p.reply(CandidateTurn(question=q, attempt=0)) == "/hint"
    assert p.reply(CandidateTurn(question=q, attempt=1)) == f"So: {q.question}"
    assert p.reply(CandidateTurn(question=q, attempt=2)) == "/skip"
    fu = CandidateTurn(question=q, prompt_text="And why?", follow_up=1)
    assert p.reply(fu) == "You asked: And why?"
    assert p.reply(CandidateTurn(question=None)) == "/end"
    # braces in a persona's text are text, not format fields
    odd = ScriptPersona(ScriptSpec(name="odd", description="d", main=["a {b} c"]))
    assert odd.reply(CandidateTurn(question=q)) == "a {b} c"


def test_persona_bounds_metric() -> None:
    means = {"a": 1.4, "b": 3.0, "c": None}
    ok = check_persona_bounds(means, {"a": (None, 2.0), "c": (None, 1.0)})
    assert ok.passed
    bad = check_persona_bounds(means, {"a": (1.5, None), "b": (None, 2.5)})
    assert not bad.passed and len(bad.failures) == 2
    assert "b mean 3.00 is above its expected maximum 2.5" in bad.failures


def test_bounds_are_checked_in_the_eval_and_can_fail(settings: Settings, pack: Pack) -> None:
    """A persona that answers well but is expected to score low must fail the eval."""
    q = pack.question("machine-learning-1")
    good = ScriptSpec(name="secretly-good", description="d", main=[q.example_answer],
                      expect_max_mean=1.5)
    low = ScriptSpec(name="empty-words", description="d", main=["It depends."],
                     expect_max_mean=3.0)
    report, runs = run_conduct_eval(
        settings, interviewers=["offline"], personas=["secretly-good", "empty-words"],
        scripts=[good, low], grader=KeywordGrader(), full_loop=False, both_modes=False,
        stages=["technical-interviews"])
    assert {r.persona for r in runs} == {"secretly-good", "empty-words"}
    assert report.sessions_passed == 1.0, report.failures  # conduct itself is fine
    bounds = report.persona_bounds["offline"]
    assert not bounds.passed
    assert any(f.startswith("secretly-good mean") for f in bounds.failures)
    assert not any(f.startswith("empty-words") for f in bounds.failures)
    assert any("persona_bounds" in f for f in report.failures)


def test_unknown_persona_names_are_refused(settings: Settings) -> None:
    with pytest.raises(InputError, match="unknown persona"):
        run_conduct_eval(settings, interviewers=["offline"], personas=["nobody"],
                         grader=KeywordGrader())


def test_command_runs_a_users_persona_file(settings: Settings, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(conduct, "default_grader", lambda s, m=None: KeywordGrader())
    path = _write(tmp_path, "version: mine\npersonas:\n"
                            "  - {name: shrugger, description: d, main: ['No idea, sorry.'],"
                            " expect_max_mean: 2.0}\n")
    parser = argparse.ArgumentParser()
    conduct.register(parser.add_subparsers())
    args = parser.parse_args(["conduct", "--personas", str(path), "--persona", "shrugger",
                              "--persona", "strong", "--max-samples", "12", "--no-write"])
    assert args.func(args, settings) == 0
    out = capsys.readouterr().out
    assert "mean shrugger" in out and "mean strong" in out
