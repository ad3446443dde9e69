"""`interviewer practice` and `interviewer transcripts` through `interviewer.cli.main`, with piped
stdin (sys.stdin monkeypatched)."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from session_support import FULL, KeywordGrader, make_pack, make_services

from interviewer.cli import main
from interviewer.interview.models import SessionConfig
from interviewer.interview.session import InterviewSession
from interviewer.knowledge import dump_yaml
from interviewer.settings import Settings
from interviewer.transcripts.events import Answered
from interviewer.transcripts.store import JsonlTranscriptStore


@pytest.fixture
def mini_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> KeywordGrader:
    """The mini pack in a knowledge dir, and the keyword grader in place of the configured one."""
    kdir = tmp_path / "knowledge"
    (kdir / "mini").mkdir(parents=True)
    (kdir / "mini" / "pack.yaml").write_text(
        dump_yaml(make_pack().model_dump(mode="json", exclude_none=True)), encoding="utf-8")
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(kdir))
    monkeypatch.setenv("INTERVIEWER_PACK", "mini")
    grader = KeywordGrader()
    monkeypatch.setattr("interviewer.grading.factory.make_grader", lambda *a, **k: grader)
    return grader


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str],
         stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def _store(tmp_path: Path) -> JsonlTranscriptStore:
    return JsonlTranscriptStore(tmp_path / "data" / "transcripts")


def test_piped_practice_session_runs_to_the_summary_and_exports(
        mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stdin = (
        "/hint\n"
        "zebracorn drift first,\n"  # a two-line answer, sent by the blank line
        "then quokka regularisation and nested validation\n"
        "\n"
        "/bogus\n"
        "\n"
        "\n"  # stray blank lines send nothing
        "/skip\n"
        "zebracorn only\n"  # the last answer is sent by the end of input
    )
    rc, out, err = _run(monkeypatch, capsys, ["practice", "--stage", "technical", "--questions",
                                              "3", "--seed", "5", "--follow-ups", "0"], stdin)
    assert rc == 0, err
    assert "interviewer offline" in out and "no model configured" in out
    assert "Hint:" in out and "Unknown command /bogus" in out
    assert "--- feedback ---" in out and "Example answer:" in out
    assert "=== Summary ===" in out and "2 answered question(s) (1 skipped, 3 planned)" in out
    paths = re.findall(r"^\s+(/\S+\.(?:md|json|html))$", out, re.M)
    assert [Path(p).suffix for p in paths] == [".md", ".json", ".html"]
    assert all(Path(p).is_file() for p in paths)
    sid = Path(paths[0]).stem
    answers = [e.answer for e in _store(tmp_path).load(sid) if isinstance(e, Answered)]
    assert answers == ["zebracorn drift first,\nthen quokka regularisation and nested validation",
                       "zebracorn only"]
    assert len(mini_env.requests) == 2  # hint, bogus command, skip and blanks were not graded


def test_interview_mode_prints_no_feedback_before_the_summary(
        mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    stdin = f"{FULL}\n\nzebracorn\n\n/end\n"
    rc, out, _ = _run(monkeypatch, capsys, ["practice", "--stage", "tech", "--mode", "interview",
                                            "--questions", "2", "--seed", "1"], stdin)
    assert rc == 0
    before, _, after = out.partition("=== Summary ===")
    assert "--- feedback ---" not in before and "Score:" not in before
    assert "Example answer" not in before
    assert after


def test_full_loop_and_end_of_input_ends_the_session(
        mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, _ = _run(monkeypatch, capsys, ["practice", "--loop", "--questions", "1", "--seed",
                                            "2"], f"{FULL}\n\n")
    assert rc == 0
    assert "Recruiter Screen" in out and "Let's stop here" in out
    assert "1 answered question(s) (0 skipped, 3 planned)" in out


def test_transcripts_list_show_export(
        mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script> zebracorn"
    rc, out, _ = _run(monkeypatch, capsys, ["practice", "--stage", "technical", "--questions",
                                            "1", "--seed", "3"], hostile + "\n")
    assert rc == 0
    sid = re.search(r"Session ([0-9a-f]{32})", out).group(1)  # type: ignore[union-attr]
    rc, out, _ = _run(monkeypatch, capsys, ["transcripts", "list"])
    assert rc == 0 and sid in out and "finished" in out
    rc, out, _ = _run(monkeypatch, capsys, ["transcripts", "show", sid[:8]])  # a prefix works
    assert rc == 0 and "# Interview transcript" in out and "<script>" in out
    assert "```text\n<script>alert(1)</script> zebracorn\n```" in out  # fenced, shown as text
    out_dir = tmp_path / "exports-here"
    rc, out, _ = _run(monkeypatch, capsys, ["transcripts", "export", sid, "--format", "html",
                                            "--out", str(out_dir)])
    assert rc == 0
    page = Path(out.strip()).read_text()
    assert Path(out.strip()).parent == out_dir
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page
    rc, out, _ = _run(monkeypatch, capsys, ["transcripts", "export", sid, "--format", "json"])
    assert rc == 0 and Path(out.strip()).suffix == ".json"


def test_transcripts_errors_are_clear(mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _run(monkeypatch, capsys, ["transcripts", "show", "abcdef"])
    assert rc == 2 and "no transcript" in err
    rc, _, err = _run(monkeypatch, capsys, ["transcripts", "show", "../etc"])
    assert rc == 2 and "not a session id" in err
    rc, out, _ = _run(monkeypatch, capsys, ["transcripts", "list"])
    assert rc == 0 and "no transcripts yet" in out


def test_practice_argument_errors(mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = _run(monkeypatch, capsys, ["practice", "--stage", "nowhere"])
    assert rc == 2 and "unknown stage" in err
    rc, _, err = _run(monkeypatch, capsys, ["practice", "--questions", "0"])
    assert rc == 2 and "--questions" in err
    rc, _, err = _run(monkeypatch, capsys, ["practice", "--pack", "no-such-pack"])
    assert rc == 2 and "unknown pack" in err


def test_resume_continues_a_session_by_id(
        mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=tmp_path / "knowledge")
    services = make_services(settings)
    s = InterviewSession.create(services, SessionConfig(pack="mini", stage="technical",
                                                        questions=2, seed=9))
    s.start()
    s.send(FULL)
    rc, out, _ = _run(monkeypatch, capsys, ["practice", "--resume", s.session_id], f"{FULL}\n")
    assert rc == 0
    assert "Welcome back" in out and "2 answered question(s)" in out
    answers = [e.answer for e in _store(tmp_path).load(s.session_id) if isinstance(e, Answered)]
    assert answers == [FULL, FULL]


def test_practice_on_the_kraken_pack(monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    grader = KeywordGrader()
    monkeypatch.setattr("interviewer.grading.factory.make_grader", lambda *a, **k: grader)
    rc, out, err = _run(monkeypatch, capsys, [
        "practice", "--pack", "kraken-ml-engineer", "--stage", "behavioral", "--questions", "2",
        "--seed", "1"], "In my last role I led a migration.\n\n/skip\n")
    assert rc == 0, err
    assert "hiring manager at Kraken" in out
    assert "=== Summary ===" in out


@pytest.mark.integration
def test_practice_with_the_real_reference_grader(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    """No fakes: settings -> build_services -> the offline reference grader (MiniLM ONNX)."""
    good = ("A Type I error is rejecting a true null hypothesis, a false positive; a Type II "
            "error is failing to reject a false null hypothesis, a false negative. Alpha is the "
            "Type I rate, beta the Type II rate, and power is one minus beta.")
    rc, out, err = _run(monkeypatch, capsys, [
        "practice", "--pack", "kraken-ml-engineer", "--stage", "technical", "--questions", "1",
        "--seed", "1", "--follow-ups", "0"], "/skip\n")
    assert rc == 0, err
    assert "grader reference" in out
    sid = re.search(r"Session ([0-9a-f]{32})", out).group(1)  # type: ignore[union-attr]
    events = _store(tmp_path).load(sid)
    assert events  # the session is on disk
    from interviewer.knowledge import load_pack
    from interviewer.services import build_services
    from interviewer.settings import PROJECT_ROOT, load_settings

    full = load_pack(PROJECT_ROOT / "knowledge", "kraken-ml-engineer")
    one = full.model_copy(update={"questions": [full.question("statistics-probability-1")]})
    services = build_services(load_settings(), offline=True, packs=[one])
    s = InterviewSession.create(services, SessionConfig(
        pack=one.name, stage="technical", questions=1, seed=1, mode="interview",
        max_follow_ups=0))
    s.start()
    s.send(good)
    graded = [e for e in services.store.load(s.session_id) if isinstance(e, Answered)]
    assert graded[0].grade.provenance.grader == "reference"
    assert graded[0].grade.score >= 3.5
    assert s.finished
