"""`interviewer search` end to end through `interviewer.cli.main`: JSON schema, filters, -k and
one-line errors with exit code 2. Real Chroma and ONNX model on a small pack in a temp dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from interviewer.cli.main import main
from interviewer.core.pack import Pack, load_pack
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.packs.index import KnowledgeIndex

pytestmark = pytest.mark.integration

KEEP = ["dsi-theory-001", "dsi-theory-015", "dsi-theory-042", "dsi-theory-091",
        "dsi-theory-131", "dsi-theory-143"]
FIELDS = {"id", "kind", "pack", "score", "text", "question", "question_id"}


def _mini_pack() -> Pack:
    data = load_pack(PROJECT_ROOT / "knowledge", "data-science-interviews").model_dump(mode="json")
    data["name"] = "mini"
    data["questions"] = [q | {"follow_ups": []} for q in data["questions"] if q["id"] in KEEP]
    return Pack.model_validate(data)


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A knowledge dir holding the small pack, and a data dir with its index already built."""
    root = tmp_path_factory.mktemp("search-cli")
    knowledge, data = root / "knowledge", root / "data"
    pack = _mini_pack()
    (knowledge / "mini").mkdir(parents=True)
    (knowledge / "mini" / "pack.yaml").write_text(
        yaml.safe_dump(pack.model_dump(mode="json"), sort_keys=False), encoding="utf-8"
    )
    KnowledgeIndex(Settings(data_dir=data, knowledge_dir=knowledge)).build(pack)
    return knowledge, data


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, dirs: tuple[Path, Path]) -> None:
    knowledge, data = dirs
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(knowledge))
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(data))
    monkeypatch.setenv("INTERVIEWER_PACK", "mini")


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, object]]:
    assert main(["search", *argv, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert isinstance(out, list)
    return out


@pytest.mark.usefixtures("cli_env")
def test_json_schema_and_order(capsys: pytest.CaptureFixture[str]) -> None:
    hits = run_json(capsys, "why randomly switch off neurons while training")
    assert len(hits) == 5
    for h in hits:
        assert set(h) >= FIELDS
        assert h["pack"] == "mini" and h["kind"] in {"question", "stage", "tip"}
        assert isinstance(h["score"], float) and isinstance(h["text"], str) and h["text"]
        assert "CC BY 4.0" in str(h["attribution"])  # the pack's licence travels with its text
        if h["kind"] == "question":
            assert h["id"] == f"mini:question:{h['question_id']}" and h["question"]
        else:
            assert h["question"] is None and h["question_id"] is None
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)  # higher is better, best first
    assert hits[0]["question_id"] == "dsi-theory-091"


@pytest.mark.usefixtures("cli_env")
def test_stage_filter_by_id_and_alias(capsys: pytest.CaptureFixture[str]) -> None:
    by_id = run_json(capsys, "machine learning", "--stage", "theory-screen", "-k", "20")
    by_alias = run_json(capsys, "machine learning", "--stage", "screen", "-k", "20")
    assert by_id == by_alias
    assert by_id and all("theory-screen" in h["stages"] for h in by_id)
    deep = run_json(capsys, "machine learning", "--stage", "technical", "-k", "20")
    assert {h["id"] for h in deep}.isdisjoint({h["id"] for h in by_id})


@pytest.mark.usefixtures("cli_env")
def test_kind_filter_and_k(capsys: pytest.CaptureFixture[str]) -> None:
    tips = run_json(capsys, "how to answer well", "--kind", "tip", "-k", "10")
    assert len(tips) == 3 and {h["kind"] for h in tips} == {"tip"}
    assert len(run_json(capsys, "clustering", "-k", "2")) == 2
    assert len(run_json(capsys, "clustering", "-k", "1", "--kind", "stage")) == 1


@pytest.mark.usefixtures("cli_env")
def test_plain_output_lists_ranked_hits(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "picking the number of clusters", "-k", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("1. [question] ")
    assert lines[0].endswith("mini:question:dsi-theory-131")
    assert lines[1].strip() == "How to select K for K-means?"
    assert lines[2].startswith("2. [")


@pytest.mark.usefixtures("cli_env")
@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["   "], "query is empty"),
        (["clustering", "--pack", "no-such-pack"], "unknown pack 'no-such-pack'"),
        (["clustering", "--stage", "no-such-stage"], "unknown stage 'no-such-stage'"),
        (["clustering", "-k", "0"], "-k must be at least 1"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str,
) -> None:
    assert main(["search", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("interviewer: error: ") and message in err[0]


def test_search_builds_a_missing_index_first(
    monkeypatch: pytest.MonkeyPatch, dirs: tuple[Path, Path], tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(dirs[0]))
    monkeypatch.setenv("INTERVIEWER_DATA_DIR", str(tmp_path / "fresh"))
    hits = run_json(capsys, "new users with no history", "--pack", "mini", "-k", "1")
    assert hits[0]["question_id"] == "dsi-theory-143"


@pytest.mark.usefixtures("cli_env")
def test_plain_output_names_the_source_of_cc_by_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", "what is supervised learning", "-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("1. [question]")
    assert "Source:" in out and "CC BY 4.0" in out
