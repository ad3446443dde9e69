"""`interviewer pack add/show/remove`: any guide of the family becomes a playable pack with one
command. The done-when of issue 14 on the three fixture guides runs through the real CLI, the real
encoder, embedded Chroma and the real reference grader (integration); the rest uses a recording
index fake."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakes import TaskChatModel

from interviewer.cli.main import main
from interviewer.core.errors import InputError, NotFoundError
from interviewer.core.pack import EXEMPLARS_FILE, load_pack
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.llm import CallInfo
from interviewer.llm.fakes import ScriptedChatModel
from interviewer.packs.enrich_exemplars import KIND_SCORES
from interviewer.packs.library import add_guide, load_all, pack_json, pack_text, remove_pack

GUIDES = Path(__file__).parent / "fixtures" / "guides"
FIXTURES = sorted(p.stem for p in GUIDES.glob("*.txt"))
KRAKEN = PROJECT_ROOT / "knowledge" / "kraken-ml-engineer"


def expected(name: str) -> dict[str, Any]:
    return yaml.safe_load((GUIDES / f"{name}.expected.yaml").read_text(encoding="utf-8"))


def guide(name: str) -> str:
    return (GUIDES / f"{name}.txt").read_text(encoding="utf-8")


class RecordingIndex:
    """Stands in for the Chroma index: records what it was asked to build and drop."""

    def __init__(self) -> None:
        self.built: list[str] = []
        self.dropped: list[str] = []

    def build(self, pack: Any, progress: Any = None) -> Any:
        self.built.append(pack.name)
        if progress is not None:
            progress(1, 1)
        return type("Report", (), {"total": len(pack.questions)})()

    def drop(self, name: str) -> bool:
        self.dropped.append(name)
        return True


@pytest.fixture
def kdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "knowledge"
    path.mkdir()
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(path))
    return path


@pytest.fixture
def lib_settings(kdir: Path, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", knowledge_dir=kdir,
                    prompts_dir=PROJECT_ROOT / "prompts")


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], argv: list[str],
        stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    rc = main(argv)
    out = capsys.readouterr()
    return rc, out.out, out.err


# --- the done-when, end to end ------------------------------------------------------------------


@pytest.mark.integration
@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_guide_is_added_with_one_command_and_plays_to_a_graded_summary(
        name: str, kdir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    want = expected(name)
    rc, out, err = run(monkeypatch, capsys, ["pack", "add", str(GUIDES / f"{name}.txt")])
    assert rc == 0, err
    assert f"interviewer practice --pack {name}" in out
    assert "indexing [" in err  # the progress bar
    pack = load_pack(kdir, name)
    assert (pack.company, pack.role) == (want["company"], want["role"])
    assert [s.name for s in pack.stages_in_order()] == want["stages"]
    assert list(dict.fromkeys(q.section for q in pack.questions)) == want["sections"]
    assert [q.question for q in pack.questions] == [q["question"] for q in want["questions"]]
    assert all(q.key_points for q in pack.questions)
    assert (kdir / name / "guide.txt").read_text(encoding="utf-8") == guide(name)
    rc, out, _ = run(monkeypatch, capsys, ["pack", "validate", name])
    assert rc == 0 and "match the parse word for word" in out

    stage = next(s for s in pack.stages_in_order() if len(pack.questions_for(s.id)) >= 2)
    answers = [q.example_answer.split(". ")[0] for q in pack.questions_for(stage.id)[:2]]
    rc, out, err = run(monkeypatch, capsys, [
        "practice", "--pack", name, "--stage", stage.id, "--questions", "2", "--seed", "3",
        "--follow-ups", "0"], "\n\n".join(answers) + "\n\nI am not sure.\n\nNo idea.\n")
    assert rc == 0, err
    assert "grader reference" in out and "--- feedback ---" in out
    assert "=== Summary ===" in out and "2 answered questions" in out
    assert re.search(r"Overall \d\.\d/5", out)

    rc, out, _ = run(monkeypatch, capsys, ["pack", "add", str(GUIDES / f"{name}.txt")])
    assert rc == 0 and "unchanged (same guide)" in out


@pytest.mark.integration
def test_pack_show_json_has_the_fields(kdir: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    name = "northbridge-bank-data-analyst"
    assert run(monkeypatch, capsys, ["pack", "add", str(GUIDES / f"{name}.txt"), "--name",
                                     "bank"])[0] == 0
    rc, out, _ = run(monkeypatch, capsys, ["pack", "show", "bank", "--json"])
    assert rc == 0
    data = json.loads(out)
    assert (data["company"], data["role"]) == ("Northbridge Bank", "Data Analyst")
    assert [s["name"] for s in data["stages"]] == expected(name)["stages"]
    assert all({"id", "name"} <= set(s) for s in data["stages"])
    assert all({"name", "difficulty", "ask_chance"} <= set(t) for t in data["topics"])
    for q in data["questions"]:
        assert {"id", "section", "question", "key_points", "stages", "provenance"} <= set(q)
        assert q["provenance"] == "derived" and q["key_points"] and q["stages"]
    rc, out, _ = run(monkeypatch, capsys, ["pack", "show", "bank"])
    assert rc == 0 and "Northbridge Bank / Data Analyst" in out and "[sql-databases-1]" in out
    rc, out, _ = run(monkeypatch, capsys, ["pack", "remove", "bank"])
    assert rc == 0 and not (kdir / "bank").exists()
    rc, _, err = run(monkeypatch, capsys, ["pack", "show", "bank"])
    assert rc == 2 and "unknown pack" in err


# --- the library, with a recording index ------------------------------------------------------


def test_add_is_idempotent_force_replaces_and_names_are_checked(lib_settings: Settings,
                                                                kdir: Path) -> None:
    index = RecordingIndex()
    first = add_guide(lib_settings, guide(FIXTURES[0]), index=index, embed=None)
    assert first.status == "added" and index.built == [first.name]
    written = (kdir / first.name / "pack.yaml").read_bytes()
    again = add_guide(lib_settings, guide(FIXTURES[0]), index=index, embed=None)
    assert again.status == "unchanged" and index.built == [first.name] * 2
    assert (kdir / first.name / "pack.yaml").read_bytes() == written
    other = guide(FIXTURES[1])
    with pytest.raises(InputError, match="--force"):
        add_guide(lib_settings, other, name=first.name, index=index, embed=None)
    replaced = add_guide(lib_settings, other, name=first.name, force=True, index=index,
                         embed=None)
    assert replaced.status == "replaced"
    assert load_pack(kdir, first.name).company == replaced.company != first.company
    assert not [p for p in kdir.iterdir() if p.name.startswith(".")]  # no temp folders left
    with pytest.raises(InputError, match="lower-case"):
        add_guide(lib_settings, other, name="../evil", index=index, embed=None)


def test_a_hand_written_pack_is_neither_replaced_nor_removed_without_force(
        lib_settings: Settings, kdir: Path) -> None:
    shutil.copytree(KRAKEN, kdir / "kraken-ml-engineer")
    index = RecordingIndex()
    with pytest.raises(InputError, match="written by hand"):
        add_guide(lib_settings, guide(FIXTURES[0]), name="kraken-ml-engineer", force=True,
                  index=index, embed=None)
    with pytest.raises(InputError, match="written by hand"):
        remove_pack(lib_settings, "kraken-ml-engineer", index=index)
    assert (kdir / "kraken-ml-engineer" / "pack.yaml").is_file() and index.dropped == []
    with pytest.raises(NotFoundError):
        remove_pack(lib_settings, "nothing-here", index=index)


def test_not_a_guide_is_refused_with_its_line_and_nothing_is_written(
        kdir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text(guide(FIXTURES[0]).replace("How to Answer", "How To Respond"),
                   encoding="utf-8")
    rc, _, err = run(monkeypatch, capsys, ["pack", "add", str(bad)])
    assert rc == 2 and "is not a guide of the expected kind" in err
    assert re.search(r"line \d+", err)
    assert list(kdir.iterdir()) == []
    binary = tmp_path / "x.txt"
    binary.write_bytes(b"\x00\x01")
    rc, _, err = run(monkeypatch, capsys, ["pack", "add", str(binary)])
    assert rc == 2 and "not a text file" in err


def test_enrich_adds_generated_items_for_review(lib_settings: Settings, kdir: Path) -> None:
    reply = json.dumps({
        "misconceptions": [{"claim": "A LEFT JOIN drops unmatched rows.",
                            "correction": "A LEFT JOIN keeps every left row."}],
        "follow_ups": ["What happens to NULLs in a COUNT?"],
        "hints": ["Think about which table's rows must all survive."]})
    model = ScriptedChatModel(["not json at all", reply], repeat_last=True, model_name="m1")
    result = add_guide(lib_settings, guide("northbridge-bank-data-analyst"), model=model,
                       index=RecordingIndex(), embed=None)
    pack = load_pack(kdir, result.name)
    enrich_calls = [c for c in model.calls if c.info and c.info.task == "enrich"]
    assert len(enrich_calls) == len(pack.questions)
    first_call = model.calls[0]
    assert pack.questions[0].question in first_call.text
    assert first_call.kwargs["json_schema"] is not None
    assert list(result.enrich_failed) == [pack.questions[0].id]  # the unusable reply
    assert pack.questions[0].generated == []
    q = pack.question("sql-databases-3")
    assert q.misconceptions[0].claim == "A LEFT JOIN drops unmatched rows."
    assert q.follow_ups[0] == "What happens to NULLs in a COUNT?"
    assert {g.field for g in q.generated} == {"misconceptions", "follow_ups", "hints"}
    assert all(g.provenance == "generated" and g.model == "m1" for g in q.generated)
    shown = pack_json(pack)["questions"][2]["generated"]
    assert shown and all(g["provenance"] == "generated" for g in shown)
    assert result.generated == sum(len(x.generated) for x in pack.questions)


ENRICH_REPLY = json.dumps({"misconceptions": [], "follow_ups": [], "hints": ["Start small."]})


def exemplar_reply(info: CallInfo) -> str:
    """A usable exemplars reply for the call's question: one answer of each kind."""
    return json.dumps({"answers": [
        {"kind": k, "answer": f"A {k} answer to {info.question_id}.", "score": lo, "why": "."}
        for k, (lo, _) in KIND_SCORES.items()]})


def test_enrich_writes_graded_exemplars_that_load_onto_the_questions(
        lib_settings: Settings, kdir: Path) -> None:
    bad = "sql-databases-2"

    def exemplars(info: CallInfo) -> str:
        return "I would rather not." if info.question_id == bad else exemplar_reply(info)

    model = TaskChatModel({"enrich": ENRICH_REPLY, "exemplars": exemplars}, model_name="m1")
    index = RecordingIndex()
    result = add_guide(lib_settings, guide("northbridge-bank-data-analyst"), model=model,
                       index=index, embed=None)
    pack = load_pack(kdir, result.name)
    asked = [q for q in pack.questions if q.kind != "take_home"]
    assert [c.info.question_id for c in model.tasks("exemplars") if c.info] == [
        q.id for q in asked]
    # the unusable reply: that question has none, and the result says why
    assert list(result.exemplars_failed) == [bad]
    assert "not a JSON object" in result.exemplars_failed[bad]
    assert pack.question(bad).exemplars == []
    for q in (q for q in asked if q.id != bad):
        assert [e.kind for e in q.exemplars] == list(KIND_SCORES), q.id
        assert {e.writer for e in q.exemplars} == {"generated:m1"}
        assert q.exemplars[0].answer == f"A strong answer to {q.id}."
    assert result.exemplars == (len(asked) - 1) * len(KIND_SCORES)
    assert result.prompts == ["pack_enrich@1", "pack_exemplars@1"]
    folder = kdir / result.name
    lines = (folder / EXEMPLARS_FILE).read_text(encoding="utf-8").splitlines()
    assert len(lines) == result.exemplars
    written = (folder / "pack.yaml").read_text(encoding="utf-8")
    assert "# Enriched by m1 with prompts pack_enrich@1, pack_exemplars@1; its graded " \
           "exemplars are in exemplars.jsonl." in written
    assert not any("exemplars" in q for q in yaml.safe_load(written)["questions"])
    # `pack show` counts them, by writer and per question
    shown = pack_json(pack)
    assert shown["exemplars"] == {"generated:m1": result.exemplars}
    assert {q["id"]: q["exemplars"] for q in shown["questions"]}[bad] == 0
    assert sum(q["exemplars"] for q in shown["questions"]) == result.exemplars
    assert (f"graded exemplars (exemplars.jsonl): {result.exemplars} on {len(asked) - 1} "
            f"questions · generated:m1 {result.exemplars}") in pack_text(pack)
    # `pack remove` removes the file with the pack
    remove_pack(lib_settings, result.name, index=index)
    assert not folder.exists() and index.dropped == [result.name]


def test_offline_add_writes_no_exemplars_file(lib_settings: Settings, kdir: Path) -> None:
    result = add_guide(lib_settings, guide("northbridge-bank-data-analyst"),
                       index=RecordingIndex(), embed=None)
    assert not (kdir / result.name / EXEMPLARS_FILE).exists()
    assert (result.exemplars, result.exemplars_failed, result.prompts) == (0, {}, [])
    assert "Enriched by" not in (kdir / result.name / "pack.yaml").read_text(encoding="utf-8")
    pack = load_pack(kdir, result.name)
    assert all(q.exemplars == [] for q in pack.questions)
    assert pack_json(pack)["exemplars"] == {} and "graded exemplars" not in pack_text(pack)


def test_enrich_on_the_command_line_reports_exemplars_and_prompts(
        kdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def exemplars(info: CallInfo) -> str:
        if info.question_id == "sql-databases-1":  # one score outside its kind's range
            return exemplar_reply(info).replace('"score": 5', '"score": 4')
        return exemplar_reply(info)

    model = TaskChatModel({"enrich": ENRICH_REPLY, "exemplars": exemplars}, model_name="m1")
    monkeypatch.setattr("interviewer.llm.make_chat_model", lambda settings, role: model)
    monkeypatch.setattr("interviewer.packs.library._encoder", lambda: None)
    monkeypatch.setattr("interviewer.packs.index.KnowledgeIndex.__init__", lambda self, s: None)
    monkeypatch.setattr("interviewer.packs.index.KnowledgeIndex.build",
                        lambda self, pack, progress=None: type("R", (), {"total": 1})())
    monkeypatch.setattr("interviewer.packs.index.KnowledgeIndex.drop", lambda self, name: True)
    rc, out, err = run(monkeypatch, capsys, [
        "pack", "add", str(GUIDES / "northbridge-bank-data-analyst.txt"), "--enrich",
        "--name", "bank"])
    assert rc == 0, err
    pack = load_pack(kdir, "bank")
    n = sum(len(q.exemplars) for q in pack.questions)
    assert n == len(model.tasks("exemplars")) * len(KIND_SCORES) - 1
    assert f"{n} graded example answers written by a model" in out
    assert str(kdir / "bank" / EXEMPLARS_FILE) in out
    assert "prompts: pack_enrich@1, pack_exemplars@1" in out
    assert "exemplars dropped: sql-databases-1: answer 1 (strong): score 4 is outside 5" in err
    assert "exemplars [" in err  # its progress bar
    rc, out, _ = run(monkeypatch, capsys, ["pack", "show", "bank"])
    assert rc == 0 and f"graded exemplars (exemplars.jsonl): {n} on" in out
    rc, out, _ = run(monkeypatch, capsys, ["pack", "remove", "bank"])
    assert rc == 0 and not (kdir / "bank").exists()


def test_enrich_without_a_model_says_how_to_configure_one(
        kdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    rc, _, err = run(monkeypatch, capsys, ["pack", "add", str(GUIDES / f"{FIXTURES[0]}.txt"),
                                           "--enrich"])
    assert rc == 1 and "OPENAI_BASE_URL" in err and list(kdir.iterdir()) == []


def test_one_bad_pack_never_breaks_the_others(lib_settings: Settings, kdir: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    add_guide(lib_settings, guide(FIXTURES[0]), index=RecordingIndex(), embed=None)
    (kdir / "broken").mkdir()
    (kdir / "broken" / "pack.yaml").write_text("name: broken\nstages: [", encoding="utf-8")
    packs, problems = load_all(kdir)
    assert [p.name for p in packs] == [FIXTURES[0]] and list(problems) == ["broken"]
    built: list[str] = []
    monkeypatch.setattr("interviewer.packs.index.KnowledgeIndex.__init__", lambda self, s: None)
    monkeypatch.setattr("interviewer.packs.index.KnowledgeIndex.build",
                        lambda self, pack: built.append(pack.name) or type(
                            "R", (), {"pack": pack.name, "total": 1, "changes": 0, "added": 0,
                                      "updated": 0, "removed": 0, "unchanged": 1})())
    monkeypatch.setattr("interviewer.packs.embeddings.grading_model_file", lambda: "cached")
    rc, out, err = run(monkeypatch, capsys, ["index"])
    assert rc == 0 and built == [FIXTURES[0]]
    assert "broken: skipped, it does not load" in err
