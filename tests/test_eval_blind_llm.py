"""The blind-set eval with the LLM grader, on a scripted model: which grader runs, the stratified
sample `--limit` takes, fallbacks counted apart from the LLM's numbers, and the test half kept
out of every output (the real-server run is in test_real_endpoint.py)."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fakes import BagOfWordsEncoder, RubricChatModel
from test_eval_blind import _cal

from evals import blind as bl
from evals import grading as ev
from evals.metrics.grading import agreement
from interviewer.cli.main import build_parser
from interviewer.core.errors import ConfigError, InputError
from interviewer.core.pack import Question, load_pack
from interviewer.core.settings import Settings
from interviewer.grading.llm_grader import PROMPT_NAME, LLMGrader
from interviewer.grading.reference import ReferenceGrader
from interviewer.llm.prompts import load_prompt

KRAKEN = "kraken-ml-engineer"
DSI = "data-science-interviews"
# (pack, question) per group: two guide questions, one authored, one of the second pack
DEV_QUESTIONS = [(KRAKEN, "machine-learning-3"), (KRAKEN, "machine-learning-1"),
                 (KRAKEN, "behavioral-1"), (DSI, "dsi-theory-001")]
TEST_QUESTIONS = [(KRAKEN, "machine-learning-3"), (KRAKEN, "screening-2"),
                  (DSI, "dsi-theory-003")]
KINDS = ("strong", "thin", "buzzword", "off_topic")
# every test answer carries this, so a leak of any test answer text is found by one search
TEST_MARK = "Quokka-marker"


def _answer(q: Question, kind: str, variant: int) -> tuple[str, int]:
    return {
        "strong": (q.example_answer, 5),
        "thin": (q.key_points[variant % len(q.key_points)], 2),
        "buzzword": (f"A holistic, data-driven, cutting-edge framework {variant} leveraging "
                     "synergy at scale.", 1),
        "off_topic": (f"My weekend plan {variant}: hiking with the dog, then a long lunch.", 1),
    }[kind]


def _rows(settings: Settings, questions: list[tuple[str, str]], tag: str,
          variants: int) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for pack_name, qid in questions:
        q = load_pack(settings.knowledge_dir, pack_name).question(qid)
        for kind in KINDS:
            for v in range(variants):
                text, expected = _answer(q, kind, v)
                if tag == "test":
                    text = f"{TEST_MARK} {v}. {text}"
                out.setdefault(pack_name, []).append({
                    "id": f"{qid}-{kind}-{v}-{tag}", "pack": pack_name, "question_id": qid,
                    "kind": kind, "answer": text, "expected_score": expected})
    return out


@pytest.fixture
def root(tmp_path: Path, settings: Settings) -> Path:
    """Dev: 4 questions (3 groups) x 4 kinds x 3 answers; test: 3 questions x 4 kinds x 2."""
    base = tmp_path / "blind"
    base.mkdir()
    dev = _rows(settings, DEV_QUESTIONS, "dev", 3)
    test = _rows(settings, TEST_QUESTIONS, "test", 2)
    files = {
        "kraken_blind_dev_v1.jsonl": dev[KRAKEN], "kraken_blind_test_v1.jsonl": [],
        "dsi_blind_dev_v1.jsonl": dev[DSI], "dsi_blind_test_v1.jsonl": [],
        "guides_blind_dev_v1.jsonl": [], "kraken_blind_test_v2.jsonl": [],
        "kraken_blind_test_v3.jsonl": [], "kraken_blind_test_v4.jsonl": test[KRAKEN],
        "kraken_blind_test_v5.jsonl": [], "kraken_blind_test_v6.jsonl": [],
        "dsi_blind_test_v2.jsonl": test[DSI], "guides_blind_test_v1.jsonl": [],
    }
    for name, rows in files.items():
        (base / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return base


def _questions(settings: Settings) -> dict[str, Question]:
    out = {}
    for pack_name, qid in {*DEV_QUESTIONS, *TEST_QUESTIONS}:
        out[qid] = load_pack(settings.knowledge_dir, pack_name).question(qid)
    return out


def _run(settings: Settings, root: Path, model: Any, tmp_path: Path, **kw: Any) -> bl.BlindReport:
    return bl.run_blind_eval(settings, encoder=BagOfWordsEncoder(dim=256), calibration=_cal(),
                             root=root, runs_dir=tmp_path / "runs",
                             reports_dir=tmp_path / "reports", model=model, **kw)


def _log(tmp_path: Path, name: str) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    """The run log's spec, per-case events and whole text."""
    path = next((tmp_path / "runs").glob(f"{name}-2*.jsonl"))
    text = path.read_text(encoding="utf-8")
    lines = [json.loads(x) for x in text.splitlines()]
    return lines[0]["spec"], [x for x in lines if "sample_id" in x], text


# --- which grader -----------------------------------------------------------------------------


def test_the_llm_grader_grades_every_answer_and_names_model_and_prompt(
    root: Path, tmp_path: Path, settings: Settings,
) -> None:
    model = RubricChatModel(_questions(settings), score=3)
    report = _run(settings, root, model, tmp_path, grader="llm")
    version = load_prompt(settings.prompts_dir, PROMPT_NAME).version

    assert report.grader == "llm" and report.model == "judge-1"
    assert report.prompt_version == version and report.served_models == ["judge-1"]
    n_dev, n_test = 4 * 4 * 3, 3 * 4 * 2
    assert len(model.calls) == report.model_calls == n_dev + n_test  # one call per answer
    assert {c.info.task for c in model.calls if c.info} == {"grade"}
    assert report.fallbacks["dev"].sampled == report.fallbacks["dev"].llm == n_dev
    assert report.fallbacks["test"].llm == n_test and report.fallbacks["test"].fallback == 0
    assert report.own_spearman is None and not report.gaps  # the own set is the reference's
    assert all(v["llm"] == 3.0 for g in report.groups for v in g.by_kind.values())
    spec, events, _ = _log(tmp_path, "grading-blind-llm")
    assert (spec["grader"], spec["model"], spec["prompt_version"]) == ("llm", "judge-1", version)
    assert len(events) == n_dev and all(e["data"]["llm"] == 3.0 for e in events)
    assert all(1 <= e["data"]["reference"] <= 5 for e in events)
    md = (tmp_path / "reports" / "grading_blind_llm.md").read_text(encoding="utf-8")
    assert f"model `judge-1`, prompt `{version}`" in md
    assert not (tmp_path / "reports" / "grading_blind.md").exists()  # the reference's stays


def test_the_reference_grader_makes_no_model_call_and_keeps_its_report(
    root: Path, tmp_path: Path, settings: Settings,
) -> None:
    model = RubricChatModel(_questions(settings))
    report = _run(settings, root, model, tmp_path, grader="reference")
    assert model.calls == [] and report.grader == "reference" and report.model is None
    assert report.own_spearman is not None and set(report.gaps) == {"dev", "test"}
    assert not report.fallbacks and report.model_calls == 0
    assert (tmp_path / "reports" / "grading_blind.md").is_file()
    assert not (tmp_path / "reports" / "grading_blind_llm.md").exists()
    spec, _, _ = _log(tmp_path, "grading-blind")
    assert spec["grader"] == "reference" and spec["prompt_version"] is None


def test_the_llm_grader_without_an_endpoint_is_a_config_error(
    root: Path, tmp_path: Path, settings: Settings,
) -> None:
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL"):
        _run(settings, root, None, tmp_path, grader="llm")


def test_the_configured_endpoint_is_built_by_the_factory(settings: Settings) -> None:
    """No model given: the grader's model comes from the settings, wrapped to count calls."""
    configured = settings.model_copy(update={"openai_base_url": "http://127.0.0.1:9/v1",
                                             "grader_model": "judge-x"})
    reference = ReferenceGrader(BagOfWordsEncoder(dim=64), _cal())
    grader, counter = bl.eval_grader(configured, "llm", reference)
    assert isinstance(grader, LLMGrader) and grader.fallback is reference
    assert counter is not None and counter.model_name == "judge-x" and counter.calls == 0
    same, none = bl.eval_grader(configured, "reference", reference)
    assert same is reference and none is None


def test_the_cli_takes_grader_and_limit_for_the_blind_sets_only(settings: Settings) -> None:
    args = build_parser(["eval", "grading"]).parse_args(
        ["eval", "grading", "--dataset", "blind", "--grader", "llm", "--limit", "40",
         "--split", "dev"])
    assert (args.grader, args.limit, args.dataset, args.split) == ("llm", 40, "blind", "dev")
    for argv in (["--grader", "llm"], ["--dataset", "saf", "--grader", "llm"],
                 ["--dataset", "kraken", "--limit", "5"]):
        bad = build_parser(["eval", "grading"]).parse_args(["eval", "grading", *argv])
        with pytest.raises(InputError, match="blind sets only"):
            ev.run(bad, settings)
    # an LLM run with no endpoint fails before any model is loaded or answer read
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        ev.run(args, settings)


# --- the sample -------------------------------------------------------------------------------


def test_the_sample_represents_every_group_and_kind_with_a_fixed_seed(
    root: Path, settings: Settings,
) -> None:
    cases = bl.blind_cases(settings, "dev", root)
    groups, kinds = {c.group for c in cases}, {c.kind for c in cases}
    assert len(groups) == 3 and len(kinds) == 4
    assert bl.cover_size(cases) == 4
    small = bl.stratified_sample(cases, 4)
    assert {c.group for c in small} == groups and {c.kind for c in small} == kinds
    again = bl.stratified_sample(cases, 4)
    assert [c.id for c in again] == [c.id for c in small]  # the same answers every run
    others = {tuple(c.id for c in bl.stratified_sample(cases, 4, seed=s)) for s in range(8)}
    assert len(others) > 1  # the seed picks them, not the file order
    order = [c.id for c in cases]
    assert [order.index(c.id) for c in small] == sorted(order.index(c.id) for c in small)


def test_the_sample_takes_the_strata_in_turn(root: Path, settings: Settings) -> None:
    cases = bl.blind_cases(settings, "dev", root)
    strata = {(c.group, c.kind) for c in cases}  # 3 groups x 4 kinds = 12, 12 answers in each
    assert len(strata) == 12
    sample = bl.stratified_sample(cases, 24)
    counts: dict[tuple[str | None, str | None], int] = {}
    for c in sample:
        counts[(c.group, c.kind)] = counts.get((c.group, c.kind), 0) + 1
    assert set(counts) == strata and set(counts.values()) == {2}
    assert len(bl.stratified_sample(cases, 30)) == 30
    assert bl.stratified_sample(cases, 10_000) == cases


def test_a_limit_under_the_cover_size_keeps_every_group_and_says_which_kinds_are_out(
    root: Path, tmp_path: Path, settings: Settings,
) -> None:
    cases = bl.blind_cases(settings, "dev", root)
    three = bl.stratified_sample(cases, 3)
    assert len({c.group for c in three}) == 3 and len({c.kind for c in three}) == 3
    with pytest.raises(InputError, match="every group: it needs at least 3"):
        bl.stratified_sample(cases, 2)
    with pytest.raises(InputError, match="positive"):
        bl.stratified_sample(cases, 0)
    report = _run(settings, root, RubricChatModel(_questions(settings)), tmp_path,
                  grader="llm", splits=("dev",), limit=3)
    assert report.sample is not None
    missing = report.sample.missing_kinds["dev"]
    assert len(missing) == 1 and missing[0] not in {c.kind for c in three}
    md = (tmp_path / "reports" / "grading_blind_llm.md").read_text(encoding="utf-8")
    assert f"kinds not in it: dev {missing[0]}" in md


def test_an_llm_run_with_a_limit_grades_the_sample_of_each_half(
    root: Path, tmp_path: Path, settings: Settings,
) -> None:
    model = RubricChatModel(_questions(settings))
    report = _run(settings, root, model, tmp_path, grader="llm", limit=8)
    assert report.sample is not None
    assert report.sample.sampled == {"dev": 8, "test": 8}
    assert report.sample.total == {"dev": 48, "test": 24}
    assert len(model.calls) == 16 and report.fallbacks["test"].sampled == 8
    kinds = {k for g in report.groups if g.split == "test" for k in g.by_kind}
    assert kinds == set(KINDS)
    assert not report.sample.missing_kinds
    md = (tmp_path / "reports" / "grading_blind_llm.md").read_text(encoding="utf-8")
    assert "`--limit 8`, seed 12" in md and "8 of 48 dev answers" in md
    assert "every group represented, every kind too" in md


def test_a_reference_sample_never_replaces_the_reference_report(
    root: Path, tmp_path: Path, settings: Settings,
) -> None:
    _run(settings, root, None, tmp_path, limit=8)
    assert (tmp_path / "reports" / "grading_blind_sample.md").is_file()
    assert not (tmp_path / "reports" / "grading_blind.md").exists()


# --- fallbacks --------------------------------------------------------------------------------


def test_fallbacks_are_counted_and_kept_out_of_the_llms_numbers(
    root: Path, tmp_path: Path, settings: Settings,
) -> None:
    """The second pack's question fails every call: its answers keep the reference grade, are
    counted as fallbacks with their reason, and no LLM number includes them."""
    scores = {"machine-learning-3": 5, "machine-learning-1": 2, "behavioral-1": 4}
    model = RubricChatModel(_questions(settings), scores=scores, fail={"dsi-theory-001"})
    report = _run(settings, root, model, tmp_path, grader="llm", splits=("dev",))

    f = report.fallbacks["dev"]
    assert (f.sampled, f.llm, f.fallback) == (48, 36, 12)
    assert f.reasons == {"HTTP error": 12}  # the report's words, not the error's text
    dsi = report.group("data-science-interviews", "dev")
    assert dsi is not None and (dsi.n, dsi.sampled) == (0, 12) and not dsi.metrics
    assert not dsi.by_kind
    _, events, _ = _log(tmp_path, "grading-blind-llm")
    failed = [e["data"] for e in events if e["data"]["id"].startswith("dsi-theory-001")]
    assert len(failed) == 12
    assert all(d["llm"] is None and d["fallback"] == "HTTP error" for d in failed)
    # the LLM's numbers are over the answers it graded, with the reference on the same ones
    graded = [e["data"] for e in events if e["data"]["llm"] is not None]
    assert len(graded) == 36
    guide = report.group("kraken guide questions", "dev")
    assert guide is not None and guide.n == guide.sampled == 24
    mine = [d for d in graded if d["id"].startswith("machine-learning")]
    expected = agreement([d["llm"] for d in mine], [d["human_1_5"] for d in mine])
    assert guide.metrics["llm"].spearman == pytest.approx(expected.spearman)
    assert guide.metrics["reference"].spearman == pytest.approx(agreement(
        [d["reference"] for d in mine], [d["human_1_5"] for d in mine]).spearman)
    means = bl.kind_means(report, "dev")
    for kind in KINDS:
        llm = [d["llm"] for d in graded if d["kind"] == kind]
        assert means[kind] == pytest.approx(sum(llm) / len(llm))
    md = (tmp_path / "reports" / "grading_blind_llm.md").read_text(encoding="utf-8")
    assert "| dev | 48 | 36 | 12 (25%) | HTTP error 12 |" in md
    assert "internal error" not in md  # the error's own text stays out of the report


def test_a_model_that_always_fails_leaves_no_llm_numbers(
    root: Path, tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str],
) -> None:
    questions = _questions(settings)
    model = RubricChatModel(questions, fail=set(questions))
    report = _run(settings, root, model, tmp_path, grader="llm")
    assert report.fallbacks["dev"].fallback == 48 and report.fallbacks["test"].fallback == 24
    assert all(g.n == 0 and "llm" not in g.metrics for g in report.groups)
    assert not report.targets  # nothing measured, nothing passed
    bl.print_summary(report)
    out = capsys.readouterr().out
    assert "graded by the LLM 0/48, fallbacks 48 (HTTP error 48)" in out
    assert "too few graded" in out


def test_contained_and_low_confidence_llm_grades_are_counted(
    root: Path, tmp_path: Path, settings: Settings,
) -> None:
    """A 5 far above the reference grade is capped (contained) and flagged: counted, and still
    the LLM grader's grade (as the app would serve it)."""
    model = RubricChatModel(_questions(settings), score=5)
    report = _run(settings, root, model, tmp_path, grader="llm", splits=("dev",))
    _, events, _ = _log(tmp_path, "grading-blind-llm")
    contained = [e["data"] for e in events if e["data"]["contained"]]
    assert contained and report.fallbacks["dev"].contained == len(contained)
    assert all(d["llm"] < 5 and d["low_confidence"] for d in contained)
    assert report.fallbacks["dev"].low_confidence >= len(contained)


# --- the test half ------------------------------------------------------------------------------


def test_no_test_answer_leaves_an_llm_run(
    root: Path, tmp_path: Path, settings: Settings, capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The model sees test answers (it grades them); the run log, report, printout and log
    lines do not. Evidence the model invents is logged for dev answers only."""
    caplog.set_level(logging.INFO, logger="interviewer.grading.llm_grader")
    model = RubricChatModel(_questions(settings), evidence=f"{TEST_MARK} invented quote",
                            fail={"screening-2"})
    report = _run(settings, root, model, tmp_path, grader="llm", splits=("test",))
    bl.print_summary(report)
    seen = [c for c in model.calls if TEST_MARK in c.text]
    assert len(seen) == report.fallbacks["test"].sampled == 24
    _, events, log_text = _log(tmp_path, "grading-blind-llm")
    md = (tmp_path / "reports" / "grading_blind_llm.md").read_text(encoding="utf-8")
    printed = capsys.readouterr()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not events and "-test" not in log_text
    for text in (log_text, md, printed.out, printed.err, logged):
        assert TEST_MARK not in text
    # the same run on dev does log the invented quote: the check above can fail
    caplog.clear()
    _run(settings, root, model, tmp_path / "dev", grader="llm", splits=("dev",))
    assert any(TEST_MARK in r.getMessage() for r in caplog.records)


def test_fallback_reasons_are_reported_in_fixed_words() -> None:
    assert bl.fallback_kind("unusable model output twice: the reply was cut off at the token "
                            "limit (finish_reason=length)") == "reply cut off at the token limit"
    assert bl.fallback_kind("unusable model output twice: invalid JSON for the schema at "
                            "score: Input should be 1") == "JSON not matching the schema"
    assert bl.fallback_kind("model error: model 'm' at http://x: timed out after 60s") == (
        "endpoint timed out")
    assert bl.fallback_kind("model error: model 'm' at http://x: the model refused: I quote "
                            "the answer here") == "the model refused"
    assert bl.fallback_kind("something new") == "other"
