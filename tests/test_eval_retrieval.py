"""Retrieval eval: metric functions, dataset checks, runner with a scripted search, run log and
report files, the `interviewer eval` command, and (integration) the targets on the real data."""

from __future__ import annotations

import argparse
import json
import sys
import types
from pathlib import Path

import pytest
import yaml

from evals import RunLog
from evals.metrics.retrieval import (
    first_relevant_rank,
    mean_reciprocal_rank,
    recall_at_k,
    reciprocal_rank,
)
from evals.retrieval import (
    DEFAULT_DATASET,
    TARGET_RECALL_AT_1,
    TARGET_RECALL_AT_5,
    RetrievalCase,
    evaluate,
    load_cases,
    render_markdown,
    run_retrieval_eval,
    summarise,
)
from interviewer.cli.main import main
from interviewer.core.errors import InputError
from interviewer.core.pack import Pack, load_pack
from interviewer.core.settings import PROJECT_ROOT, Settings
from interviewer.packs.index import pack_documents, tokenize

# --- metrics -----------------------------------------------------------------------------------


def test_first_relevant_rank() -> None:
    assert first_relevant_rank(["a", "b", "c"], {"b"}) == 2
    assert first_relevant_rank(["a", "b", "c"], ["c", "b"]) == 2
    assert first_relevant_rank(["a", "b"], {"z"}) is None
    assert first_relevant_rank([], {"z"}) is None
    with pytest.raises(ValueError):
        first_relevant_rank(["a"], [])


def test_recall_at_k_and_mrr() -> None:
    ranks = [1, 2, None, 6]
    assert recall_at_k(ranks, 1) == 0.25
    assert recall_at_k(ranks, 5) == 0.5
    assert recall_at_k(ranks, 6) == 0.75
    assert recall_at_k([], 5) == 0.0
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 0.5 + 0 + 1 / 6) / 4)
    assert mean_reciprocal_rank([]) == 0.0
    assert reciprocal_rank(None) == 0.0 and reciprocal_rank(4) == 0.25
    with pytest.raises(ValueError):
        recall_at_k(ranks, 0)
    with pytest.raises(ValueError):
        reciprocal_rank(0)


# --- dataset -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cases() -> list[RetrievalCase]:
    return load_cases(DEFAULT_DATASET)


@pytest.fixture(scope="module")
def packs() -> dict[str, Pack]:
    knowledge = PROJECT_ROOT / "knowledge"
    return {n: load_pack(knowledge, n) for n in ("kraken-ml-engineer", "data-science-interviews")}


def test_dataset_shape(cases: list[RetrievalCase]) -> None:
    assert len(cases) >= 60
    assert sum(c.split == "holdout" for c in cases) == 15
    assert {c.kind for c in cases} == {"question", "stage", "tip"}
    assert sum(c.pack == "data-science-interviews" for c in cases) >= 5
    assert len({c.query.lower() for c in cases}) == len(cases)


def test_every_expected_document_exists_and_matches_its_kind(
    cases: list[RetrievalCase], packs: dict[str, Pack],
) -> None:
    ids = {name: {d.id for d in pack_documents(p)} for name, p in packs.items()}
    for c in cases:
        for doc_id in c.expected:
            assert doc_id in ids[c.pack], f"{c.id}: {doc_id} is not in {c.pack}"
        assert c.expected[0].split(":")[1] == c.kind, c.id


def test_dataset_covers_guide_authored_stage_and_tip_documents(
    cases: list[RetrievalCase], packs: dict[str, Pack],
) -> None:
    kraken = packs["kraken-ml-engineer"]
    expected = {e.rsplit(":", 1)[1] for c in cases for e in c.expected}
    guide = {q.id for q in kraken.questions if q.provenance == "guide"}
    assert guide <= expected
    assert {s.id for s in kraken.stages} <= expected
    assert {t.id for t in kraken.tips} <= expected
    authored = {q.id for q in kraken.questions if q.provenance == "authored"}
    assert len(authored & expected) >= 15


def test_queries_are_paraphrased_away_from_the_question(
    cases: list[RetrievalCase], packs: dict[str, Pack],
) -> None:
    """Share of a query's content words found in its question's text: low on average."""
    overlaps = []
    for c in cases:
        if c.kind != "question":
            continue
        query = set(tokenize(c.query))
        best = 0.0
        for doc_id in c.expected:
            words = set(tokenize(packs[c.pack].question(doc_id.rsplit(":", 1)[1]).question))
            best = max(best, len(query & words) / max(1, len(query)))
        overlaps.append(best)
        assert best <= 0.6, c.id
    assert sum(overlaps) / len(overlaps) <= 0.2


def test_load_cases_reports_bad_lines(tmp_path: Path) -> None:
    good = {"id": "a", "query": "q", "pack": "p", "expected": "p:tip:x", "kind": "tip"}
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps(good) + "\n\n" + json.dumps(good | {"id": "b", "kind": "nope"}))
    with pytest.raises(InputError, match=r"d\.jsonl:3:"):
        load_cases(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps(good))
    with pytest.raises(InputError, match="unique"):
        load_cases(path)
    path.write_text(json.dumps(good))
    [case] = load_cases(path)
    assert case.expected == ["p:tip:x"] and case.split == "tune"
    with pytest.raises(InputError, match="cannot read"):
        load_cases(tmp_path / "missing.jsonl")


# --- runner with a scripted search ---------------------------------------------------------------


def _case(cid: str, kind: str, expected: list[str], split: str = "tune") -> RetrievalCase:
    return RetrievalCase.model_validate(
        {"id": cid, "query": f"query {cid}", "pack": "p", "expected": expected, "kind": kind,
         "split": split}
    )


def test_evaluate_and_summarise_with_a_scripted_search(tmp_path: Path) -> None:
    scripted = {
        "query c1": ["p:question:a", "p:question:b"],
        "query c2": ["p:question:x", "p:question:b", "p:question:a"],
        "query c3": ["p:tip:z"],
        "query c4": ["p:stage:s", "p:tip:t"],
    }
    asked: list[str] = []

    def search(case: RetrievalCase) -> list[tuple[str, float]]:
        asked.append(case.query)
        return [(i, 1.0 - n / 10) for n, i in enumerate(scripted[case.query])]

    cases = [
        _case("c1", "question", ["p:question:a"]),
        _case("c2", "question", ["p:question:a", "p:question:b"], "holdout"),
        _case("c3", "tip", ["p:tip:t"]),
        _case("c4", "stage", ["p:stage:s"], "holdout"),
    ]
    results = evaluate(cases, search)
    assert asked == ["query c1", "query c2", "query c3", "query c4"]
    assert [r.rank for r in results] == [1, 2, None, 1]
    assert results[1].top == ["p:question:x", "p:question:b", "p:question:a"]
    dataset = tmp_path / "retrieval_vX.jsonl"
    dataset.write_text("x")
    report = summarise(results, dataset=dataset, embedding_model="m", retriever="r", commit="c")
    assert report.dataset == "retrieval_vX"
    assert (report.overall.recall_at_1, report.overall.recall_at_5) == (0.5, 0.75)
    assert report.overall.mrr == pytest.approx((1 + 0.5 + 0 + 1) / 4, abs=1e-4)
    assert report.by_kind["question"].n == 2 and report.by_kind["tip"].recall_at_5 == 0.0
    assert report.by_split["holdout"].recall_at_1 == 0.5
    assert not report.meets_targets
    md = render_markdown(report, results)
    assert "| overall | 4 | 0.500 | 0.750 |" in md
    assert "| c3 | tune | - | query c3 | p:tip:t | p:tip:z |" in md
    assert "c1 |" not in md  # ranked first: not listed as a miss


def test_run_log_is_spec_cases_then_final_report(tmp_path: Path) -> None:
    log = RunLog(tmp_path / "runs", "retrieval", {"dataset": "retrieval_v1", "git_commit": "abc"})
    log.case("c1", {"rank": 1})
    log.case("c2", {"rank": None})
    log.final({"recall_at_1": 0.5})
    lines = [json.loads(x) for x in log.path.read_text().splitlines()]
    assert lines[0]["spec"]["eval_name"] == "retrieval"
    assert lines[0]["spec"]["dataset"] == "retrieval_v1" and lines[0]["spec"]["run_id"]
    assert [(x["sample_id"], x["event_id"], x["type"]) for x in lines[1:3]] == [
        ("c1", 1, "match"), ("c2", 2, "match")]
    assert lines[3] == {"final_report": {"recall_at_1": 0.5}}
    assert log.path.name.startswith("retrieval-") and log.path.suffix == ".jsonl"


# --- the `interviewer eval` command --------------------------------------------------------------


def test_eval_without_a_kind_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval"]) == 2
    assert "name an eval kind" in capsys.readouterr().err


def test_eval_all_runs_every_kind_and_passes_model_where_taken(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    ran: list[tuple[str, str | None]] = []

    def fake_module(name: str, kind: str, takes_model: bool, code: int) -> str:
        module = types.ModuleType(name)

        def run(args: argparse.Namespace, settings: Settings) -> int:
            ran.append((kind, getattr(args, "model", None)))
            return code

        def register(sub: argparse._SubParsersAction) -> None:
            p = sub.add_parser(kind)
            if takes_model:
                p.add_argument("--model", default="default")
            p.set_defaults(func=run)

        module.register = register  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, module)
        return name

    modules = [
        fake_module("fake_eval_a", "alpha", True, 0),
        fake_module("fake_eval_b", "beta", False, 1),
        "evals.not_written_yet",
    ]
    monkeypatch.setattr("evals.cli.EVAL_MODULES", modules)
    assert main(["eval", "all", "--model", "offline"]) == 1  # the worst exit code
    assert ran == [("alpha", "offline"), ("beta", None)]
    out = capsys.readouterr().out
    assert "== eval alpha ==" in out and "== eval beta ==" in out
    ran.clear()
    assert main(["eval", "alpha"]) == 0
    assert ran == [("alpha", "default")]


@pytest.mark.integration
def test_eval_retrieval_command_writes_run_and_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    full = load_pack(PROJECT_ROOT / "knowledge", "data-science-interviews").model_dump(mode="json")
    keep = {"dsi-theory-091", "dsi-theory-131", "dsi-theory-143"}
    data = full | {"name": "mini",
                   "questions": [q | {"follow_ups": []} for q in full["questions"]
                                 if q["id"] in keep]}
    (tmp_path / "knowledge" / "mini").mkdir(parents=True)
    (tmp_path / "knowledge" / "mini" / "pack.yaml").write_text(yaml.safe_dump(data))
    monkeypatch.setenv("INTERVIEWER_KNOWLEDGE_DIR", str(tmp_path / "knowledge"))
    dataset = tmp_path / "retrieval_mini.jsonl"
    rows = [
        {"id": "m1", "query": "why randomly switch off neurons during training", "pack": "mini",
         "expected": "mini:question:dsi-theory-091", "kind": "question"},
        {"id": "m2", "query": "recommending to brand-new users with no history",
         "pack": "mini", "expected": "mini:question:dsi-theory-143", "kind": "question",
         "split": "holdout"},
    ]
    dataset.write_text("".join(json.dumps(r) + "\n" for r in rows))
    runs, report = tmp_path / "runs", tmp_path / "reports" / "retrieval_latest.md"
    code = main(["eval", "retrieval", "--dataset", str(dataset), "--runs-dir", str(runs),
                 "--report", str(report)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "overall" in out and "R@1" in out and "split=holdout" in out
    [run_file] = list(runs.glob("retrieval-*.jsonl"))
    lines = [json.loads(x) for x in run_file.read_text().splitlines()]
    spec = lines[0]["spec"]
    assert spec["dataset"] == "retrieval_mini" and spec["embedding_model"]
    assert "git_commit" in spec and spec["retriever"]
    assert [x["sample_id"] for x in lines[1:-1]] == ["m1", "m2"]
    final = lines[-1]["final_report"]
    assert final["overall"]["recall_at_1"] == 1.0 and final["meets_targets"] is True
    assert "| overall | 2 | 1.000 | 1.000 | 1.000 |" in report.read_text()


# --- integration: the targets on the real dataset ------------------------------------------------


@pytest.mark.integration
def test_retrieval_targets_are_met(tmp_path_factory: pytest.TempPathFactory) -> None:
    settings = Settings(data_dir=tmp_path_factory.mktemp("retrieval-eval"),
                        knowledge_dir=PROJECT_ROOT / "knowledge")
    report, results = run_retrieval_eval(settings, DEFAULT_DATASET)
    assert report.overall.n == len(results) >= 60
    assert report.by_split["holdout"].n == 15
    misses = [(r.id, r.rank, r.top[:1]) for r in results if r.rank != 1]
    assert report.overall.recall_at_5 >= TARGET_RECALL_AT_5, misses
    assert report.overall.recall_at_1 >= TARGET_RECALL_AT_1, misses
