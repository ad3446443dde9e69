"""`interviewer progress` and `interviewer practice --plan weak` through `interviewer.cli.main`,
stdin piped as a candidate would: the issue's done-when played on the real Kraken pack with the
real reference grader, then the table, the JSON fields and the HTML report on the small pack."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from session_support import FULL, POOR, KeywordGrader

from interviewer.cli.main import main
from interviewer.core.events import Asked, SessionStarted
from interviewer.core.pack import load_pack
from interviewer.core.session import SessionConfig
from interviewer.core.settings import Settings
from interviewer.interview.plan import build_plan
from interviewer.transcripts.store import JsonlTranscriptStore

KRAKEN = "kraken-ml-engineer"
STAGE = "technical-interviews"


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str],
         stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


def _one_line(text: str) -> str:
    return " ".join(text.split())  # an answer is sent by a blank line: keep it on one line


def _sessions_in_order(store: JsonlTranscriptStore) -> list[list[object]]:
    starts = []
    for info in store.list():
        events = store.load(info.session_id)
        assert isinstance(events[0], SessionStarted)
        starts.append((events[0].at, events))
    return [e for _, e in sorted(starts, key=lambda x: x[0])]


@pytest.mark.integration
def test_done_when_a_rich_answer_and_i_dont_know_then_the_weak_plan(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        settings: Settings) -> None:
    """Session 1: one rich answer, one "I don't know". Progress lists both questions with one
    attempt each; `practice --plan weak` asks the "I don't know" question first; answered
    there, progress shows two attempts and its topic's history covers both sessions."""
    pack = load_pack(settings.knowledge_dir, KRAKEN)
    plan = build_plan(pack, SessionConfig(pack=KRAKEN, stage=STAGE, questions=2, seed=1), 1)
    rich_q, idk_q = (pack.question(i.question_id) for i in plan)

    rc, out, err = _run(monkeypatch, capsys, [
        "practice", "--pack", KRAKEN, "--stage", STAGE, "--questions", "2", "--seed", "1"],
        f"{_one_line(rich_q.example_answer)}\n\nI don't know\n\n")
    assert rc == 0, err
    assert "2 answered questions" in out

    rc, out, err = _run(monkeypatch, capsys, ["progress", "--pack", KRAKEN, "--json"])
    assert rc == 0, err
    first = json.loads(out)
    assert first["sessions"] == 1
    questions = {q["id"]: q for q in first["questions"]}
    assert set(questions) == {rich_q.id, idk_q.id}
    assert questions[rich_q.id]["attempts"] == 1 and questions[idk_q.id]["attempts"] == 1
    assert questions[idk_q.id]["last"] == 1.0 and questions[rich_q.id]["last"] >= 4.0
    assert first["questions"][0]["id"] == idk_q.id  # weakest first
    assert {m["question_id"] for m in first["missed_key_points"]} == {idk_q.id}

    rc, out, err = _run(monkeypatch, capsys, [
        "practice", "--pack", KRAKEN, "--stage", STAGE, "--questions", "2", "--plan", "weak"],
        f"{_one_line(idk_q.example_answer)}\n\n")
    assert rc == 0, err
    assert "Weak-spot practice" in out
    why = out.index("(Why this question: your last grade on it was 1.0/5")
    assert out.index(idk_q.question.strip()) > why  # said before the question it explains
    store = JsonlTranscriptStore(settings.transcripts_dir)
    one, two = _sessions_in_order(store)
    asked = [e for e in two if isinstance(e, Asked) and e.kind == "question"]
    assert asked[0].question_id == idk_q.id  # the "I don't know" question first

    rc, out, err = _run(monkeypatch, capsys, ["progress", "--pack", KRAKEN, "--json"])
    assert rc == 0, err
    after = json.loads(out)
    assert after["sessions"] == 2
    q = next(q for q in after["questions"] if q["id"] == idk_q.id)
    assert q["attempts"] == 2 and q["best"] >= 4.0 and q["last"] == q["best"]
    assert next(q for q in after["questions"] if q["id"] == rich_q.id)["attempts"] == 1
    topic = next(t for t in after["topics"] if t["topic"] == idk_q.topic)
    sids = [one[0].session_id, two[0].session_id]  # type: ignore[attr-defined]
    assert [h["session_id"] for h in topic["history"]] == sids
    assert topic["latest"] == topic["history"][-1]["score"]
    assert topic["trend"] == "improving"




def test_progress_table_json_fields_and_html_report(
        mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    rc, out, _ = _run(monkeypatch, capsys, ["progress"])
    assert rc == 0 and "No graded sessions yet" in out
    for seed, answers in ((1, [FULL, POOR]), (2, [POOR, FULL])):
        rc, _, err = _run(monkeypatch, capsys, [
            "practice", "--stage", "technical", "--questions", "2", "--seed", str(seed),
            "--follow-ups", "0"], "\n\n".join(answers) + "\n")
        assert rc == 0, err
    rc, out, _ = _run(monkeypatch, capsys, [
        "practice", "--stage", "technical", "--questions", "1", "--owner", "user:bob"],
        POOR + "\n")
    assert rc == 0

    rc, table, _ = _run(monkeypatch, capsys, ["progress"])
    assert rc == 0
    assert "2 session(s), 4 graded answer(s)" in table
    assert re.search(r"^Machine Learning\s+\d", table, re.M)
    assert "question (weakest first)" in table and "Key points most often missed:" in table
    assert "interviewer practice --plan weak" in table

    rc, out, _ = _run(monkeypatch, capsys, ["progress", "--json"])
    data = json.loads(out)
    assert set(data) >= {"sessions", "topics", "questions", "missed_key_points"}
    assert data["sessions"] == 2 and data["owner"] is None
    for t in data["topics"]:
        assert set(t) >= {"topic", "history", "latest", "trend"}
        assert all(set(h) == {"session_id", "at", "score"} for h in t["history"])
    for q in data["questions"]:
        assert set(q) >= {"id", "question", "attempts", "last", "best", "due"}
    lasts = [q["last"] for q in data["questions"]]
    assert lasts == sorted(lasts)  # weakest first (nothing skipped here)

    rc, out, _ = _run(monkeypatch, capsys, ["progress", "--json", "--owner", "user:bob"])
    bob = json.loads(out)
    assert bob["sessions"] == 1 and bob["answered"] == 1

    report = tmp_path / "report.html"
    rc, out, _ = _run(monkeypatch, capsys, ["progress", "--html", str(report)])
    assert rc == 0 and out.strip() == str(report)
    page = report.read_text()
    assert "<svg" in page and "Topics over time" in page and "Key points most often missed" in page
    assert "<script" not in page and "default-src 'none'" in page
    assert "zebracorn" in page  # the guide's example answer for a missed point

    rc, _, err = _run(monkeypatch, capsys, ["progress", "--pack", "nope"])
    assert rc == 2 and "unknown pack" in err


def test_weak_plan_flag_is_checked(mini_env: KeywordGrader, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        _run(monkeypatch, capsys, ["practice", "--plan", "strongest"])
    assert e.value.code == 2
    assert "invalid choice: 'strongest'" in capsys.readouterr().err
