"""`interviewer grade` through `interviewer.cli.main`: mixed good and bad lines, exit codes,
output fields, grader choice. The graders are fakes; the pack is a small one in a temp dir."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fakes import FakeGrader, ScriptedChatModel, make_question

from interviewer.cli.commands import grade as grade_command
from interviewer.cli.main import main
from interviewer.core.grade import criteria_for
from interviewer.core.pack import Pack, Question, dump_yaml
from interviewer.core.settings import Settings
from interviewer.grading import factory
from interviewer.grading.llm_grader import LLMGrader

PACK = "tiny-pack"


@pytest.fixture
def knowledge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    pack = Pack(
        name=PACK, company="Acme", role="ML Engineer", overview="A test pack.",
        source={"file": "guide.txt", "sha256": "0" * 64},
        stages=[{"id": "technical-interviews", "order": 1, "name": "Technical",
                 "description": "Technical questions."}],
        questions=[
            make_question(),
            make_question(id="statistics-1", question="What is a p-value?",
                          key_points=["Probability of data this extreme under the null"]),
        ],
    )
    root = tmp_path / "knowledge"
    (root / PACK).mkdir(parents=True)
    (root / PACK / "pack.yaml").write_text(
        dump_yaml(pack.model_dump(mode="json", exclude_defaults=True)), encoding="utf-8"
    )
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(root))
    monkeypatch.setenv("INTERVIEWER_PACK", PACK)
    return root


@pytest.fixture
def reference(monkeypatch: pytest.MonkeyPatch) -> FakeGrader:
    """The reference grader the command builds, replaced by a recording fake."""
    fake = FakeGrader(score=3.5, covered=1)
    monkeypatch.setattr(factory, "make_reference_grader", lambda encoder=None: fake)
    return fake


@pytest.fixture
def free_standing(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    calls: list[tuple[str, str]] = []

    def build(question: str, reference_answer: str) -> Question:
        calls.append((question, reference_answer))
        return make_question(id="free", question=question, example_answer=reference_answer,
                             key_points=[reference_answer])

    monkeypatch.setattr(grade_command, "free_standing_question", build)
    return calls


def write_jsonl(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n",
        encoding="utf-8",
    )
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_mixed_good_and_bad_lines(
    tmp_path: Path, knowledge: Path, reference: FakeGrader, free_standing: list,
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows: list[Any] = [
        {"id": "a", "question_id": "machine-learning-1", "answer": "Compare train and val.",
         "extra": {"keep": [1, 2]}},
        {"id": "b", "question": "  what is a P-VALUE ", "answer": "A probability."},
        {"id": "c", "question": "What is TCP?", "reference_answer": "A transport protocol.",
         "answer": "A protocol."},
        "{not json",
        {"id": "e", "question_id": "machine-learning-1", "answer": "   "},
        {"id": "f", "question_id": "no-such-question", "answer": "x"},
        {"id": "g", "question": "Unknown question?", "answer": "x"},
        {"id": "h", "answer": "no question at all"},
        "",
        {"id": 9, "question_id": "statistics-1", "answer": "Under the null hypothesis..."},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    code = main(["grade", "--input", str(src), "--output", str(out), "--grader", "reference"])
    err = capsys.readouterr().err
    assert code == 1
    graded = read_jsonl(out)
    assert [r["id"] for r in graded] == ["a", "b", "c", 9]
    first = graded[0]
    assert first["extra"] == {"keep": [1, 2]}  # every input field kept
    assert first["question_id"] == "machine-learning-1"
    assert first["score"] == 3.5 and first["grade"]["score"] == 3.5
    assert first["grade"]["provenance"]["grader"] == "reference"
    assert {"criteria", "key_points", "next_step"} <= first["grade"].keys()
    # What the grader was asked: the pack question by id, by text, and the free-standing one.
    asked = [(r.question.id, r.answer) for r in reference.requests]
    assert asked == [
        ("machine-learning-1", "Compare train and val."), ("statistics-1", "A probability."),
        ("free", "A protocol."), ("statistics-1", "Under the null hypothesis..."),
    ]
    assert reference.requests[0].pack == PACK and reference.requests[2].pack is None
    assert free_standing == [("What is TCP?", "A transport protocol.")]
    # Each bad line is reported with its line number.
    assert f"{src}:4: not graded: invalid JSON" in err
    assert f"{src}:5: not graded: answer: Value error, the answer is empty" in err
    assert f"{src}:6: not graded:" in err and "no-such-question" in err
    assert f"{src}:7: not graded: question text not found" in err
    assert f"{src}:8: not graded: needs question_id" in err
    assert ":9:" not in err  # a blank line is skipped, not an error
    assert "graded 4 of 9 answers with the reference grader; 5 not graded" in err


def test_all_good_exits_zero(
    tmp_path: Path, knowledge: Path, reference: FakeGrader, capsys: pytest.CaptureFixture[str],
) -> None:
    rows = [{"id": i, "question_id": "statistics-1", "answer": f"answer {i}"} for i in range(25)]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    assert main(["grade", "-i", str(src), "-o", str(out), "--pack", PACK]) == 0
    assert [r["id"] for r in read_jsonl(out)] == list(range(25))
    err = capsys.readouterr().err
    assert "graded 10/25" in err  # progress for long inputs
    assert "graded 25 of 25 answers" in err


def test_llm_grader_without_endpoint_is_a_usage_error(
    tmp_path: Path, knowledge: Path, reference: FakeGrader, capsys: pytest.CaptureFixture[str],
) -> None:
    src = write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "question_id": "x", "answer": "y"}])
    out = tmp_path / "out.jsonl"
    assert main(["grade", "-i", str(src), "-o", str(out), "--grader", "llm"]) == 2
    err = capsys.readouterr().err
    assert "OPENAI_API_KEY" in err and "OPENAI_BASE_URL" in err
    assert not reference.requests and not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-i", "missing.jsonl"], "input file not found"),
        (["-i", "empty.jsonl"], "no input lines"),
        (["-i", "in.jsonl", "--pack", "nope"], "unknown pack 'nope'"),
    ],
)
def test_usage_errors_exit_two(
    tmp_path: Path, knowledge: Path, reference: FakeGrader, capsys: pytest.CaptureFixture[str],
    args: list[str], message: str,
) -> None:
    (tmp_path / "empty.jsonl").write_text("\n\n", encoding="utf-8")
    write_jsonl(tmp_path / "in.jsonl", [{"id": 1, "question_id": "statistics-1", "answer": "y"}])
    assert main(["grade", *args, "-o", str(tmp_path / "out.jsonl")]) == 2
    assert message in capsys.readouterr().err


def test_grader_errors_on_a_line_do_not_stop_the_run(
    tmp_path: Path, knowledge: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from interviewer.core.errors import GradingError

    class Flaky(FakeGrader):
        def grade(self, request):  # type: ignore[no-untyped-def]
            if request.answer == "boom":
                raise GradingError("cannot embed this answer")
            return super().grade(request)

    monkeypatch.setattr(factory, "make_reference_grader", lambda encoder=None: Flaky())
    rows = [{"id": i, "question_id": "statistics-1", "answer": a}
            for i, a in enumerate(["ok", "boom", "fine"])]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    assert main(["grade", "-i", str(src), "-o", str(out), "--grader", "reference"]) == 1
    assert [r["id"] for r in read_jsonl(out)] == [0, 2]
    assert f"{src}:2: not graded: cannot embed this answer" in capsys.readouterr().err


def test_make_grader_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeGrader()
    monkeypatch.setattr(factory, "make_reference_grader", lambda encoder=None: fake)
    offline = Settings()
    assert factory.make_grader(offline) is fake  # auto without endpoint -> reference
    model = ScriptedChatModel([])
    chosen = factory.make_grader(offline, model=model)  # a model given -> llm
    assert isinstance(chosen, LLMGrader) and chosen.model is model and chosen.fallback is fake
    assert factory.make_grader(offline, model=model, choice="reference") is fake
    online = Settings(openai_base_url="http://127.0.0.1:9/v1", grader_model="judge")
    llm = factory.make_grader(online)
    assert isinstance(llm, LLMGrader) and llm.model.model_name == "judge"
    assert factory.make_grader(Settings(openai_base_url="http://127.0.0.1:9/v1",
                                        grader="reference")) is fake
    from interviewer.core.errors import ConfigError

    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        factory.make_grader(offline, choice="llm")


def _llm_reply(question: Question, answer: str, score: int) -> str:
    return json.dumps({
        "key_points": [{"index": 1, "covered": True, "evidence": answer.split(".")[0]}],
        "criteria": [{"id": c.id, "score": score, "rationale": "ok"}
                     for c in criteria_for(question)],
        "misconceptions": [], "strengths": ["s"], "gaps": ["g"], "score": score,
        "next_step": "Practise more.",
    })


def test_llm_grader_end_to_end_against_a_loopback_server(
    tmp_path: Path, knowledge: Path, reference: FakeGrader, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Settings -> OpenAIChatModel -> LLMGrader -> the CLI's output, over real HTTP on
    127.0.0.1; the second answer gets a reply that is unusable twice, so it falls back."""
    from fault_server import normal, run_fault_server

    stats = make_question(id="statistics-1", question="What is a p-value?",
                          key_points=["Probability of data this extreme under the null"])
    rows = [
        {"id": "good", "question_id": "statistics-1", "answer": "Data this extreme. Under H0."},
        {"id": "bad", "question_id": "statistics-1", "answer": "No idea."},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    with run_fault_server() as server:
        server.script(normal(_llm_reply(stats, rows[0]["answer"], 4)),
                      normal("I cannot grade this."), normal("Still no."))
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("GRADER_MODEL", "judge-7")
        code = main(["grade", "-i", str(src), "-o", str(out), "--grader", "llm"])
        sent = server.chat_requests
    assert code == 0
    good, bad = read_jsonl(out)
    assert good["score"] == 4 and good["grade"]["provenance"]["grader"] == "llm"
    assert good["grade"]["provenance"]["model"] == "fault-model"  # as the server reports it
    assert good["grade"]["key_points"][0]["evidence"] == "Data this extreme"
    assert bad["score"] == 3.5 and bad["grade"]["provenance"]["grader"] == "reference"
    assert "not a JSON object" in bad["grade"]["provenance"]["fallback_reason"]
    assert len(sent) == 3 and all(r.body and r.body["model"] == "judge-7" for r in sent)
    assert all(r.temperature == 0 for r in sent)
    assert "No idea." in sent[1].body["messages"][1]["content"]  # type: ignore[index]
    assert "1 fell back to the reference grade" in capsys.readouterr().err


@pytest.mark.integration
def test_reference_grader_end_to_end(
    tmp_path: Path, knowledge: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    """The real offline path: ReferenceGrader with the MiniLM encoder, a pack question and a
    free-standing one built by question_from_reference; a strong answer beats an empty one."""
    rows = [
        {"id": "strong", "question_id": "machine-learning-1",
         "answer": "I compare training and validation error; a growing gap means overfitting. "
                   "I prevent it with L2 regularisation and choose it by cross-validation."},
        {"id": "weak", "question_id": "machine-learning-1", "answer": "I like pizza."},
        {"id": "saf", "question": "Why does TCP use a three-way handshake?",
         "reference_answer": "To synchronise initial sequence numbers. It confirms both sides "
                             "are ready before data is sent.",
         "answer": "Both hosts agree on their initial sequence numbers before sending data."},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.jsonl"
    assert main(["grade", "-i", str(src), "-o", str(out), "--grader", "reference"]) == 0
    strong, weak, saf = read_jsonl(out)
    assert strong["score"] > weak["score"]
    for row in (strong, weak, saf):
        assert row["grade"]["provenance"]["grader"] == "reference"
        assert 1 <= row["score"] <= 5
    assert [k["point"] for k in saf["grade"]["key_points"]][0].startswith("To synchronise")
    assert "graded 3 of 3 answers with the reference grader" in capsys.readouterr().err
