"""The blind-set eval: dev and test halves side by side, test in aggregate only (never a test
answer in the run log or the report), the own-set gap and the issue's targets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import BagOfWordsEncoder

from evals import blind as bl
from interviewer.core.errors import NotFoundError
from interviewer.core.pack import load_pack
from interviewer.core.settings import Settings
from interviewer.grading.reference.calibration import Calibration, LinearMap
from interviewer.grading.reference.policy import CoverPolicy, ReferencePolicy


def _cal() -> Calibration:
    names = ["cov_mean", "cov_frac", "lex_recall", "len_ratio", "q_sim"]
    return Calibration(version="test-cal", features=names, mean=[0.0] * 5, std=[1.0] * 5,
                       weights=[6.0, 0.0, 0.0, 0.0, 0.0], bias=-3.0,
                       policy=ReferencePolicy(cover=CoverPolicy(threshold=0.5)),
                       baselines={"cosine": LinearMap(slope=1.0, intercept=0.0),
                                  "length": LinearMap(slope=0.2, intercept=0.0)})


def _rows(settings: Settings, pack: str, qids: list[str], tag: str) -> list[dict[str, object]]:
    p = load_pack(settings.knowledge_dir, pack)
    rows: list[dict[str, object]] = []
    for qid in qids:
        q = p.question(qid)
        rows += [
            {"id": f"{qid}-strong-{tag}", "pack": pack, "question_id": qid, "kind": "strong",
             "answer": q.example_answer, "expected_score": 5},
            {"id": f"{qid}-thin-{tag}", "pack": pack, "question_id": qid, "kind": "thin",
             "answer": q.key_points[0], "expected_score": 2},
            {"id": f"{qid}-buzzword-{tag}", "pack": pack, "question_id": qid, "kind": "buzzword",
             "answer": "A holistic, data-driven, cutting-edge framework leveraging synergy at "
                       "scale.", "expected_score": 1},
        ]
    return rows


@pytest.fixture
def root(tmp_path: Path, settings: Settings) -> Path:
    files = {
        "kraken_blind_dev_v1.jsonl": _rows(settings, "kraken-ml-engineer",
                                           ["machine-learning-3", "behavioral-1"], "dev"),
        "kraken_blind_test_v1.jsonl": _rows(settings, "kraken-ml-engineer",
                                            ["machine-learning-1"], "dev"),  # retired: dev now
        "kraken_blind_test_v2.jsonl": [],  # retired: dev now
        "kraken_blind_test_v3.jsonl": [],
        "kraken_blind_test_v4.jsonl": _rows(settings, "kraken-ml-engineer",
                                            ["machine-learning-3", "screening-2"], "test"),
        "kraken_blind_test_v5.jsonl": [], "kraken_blind_test_v6.jsonl": [],
        "dsi_blind_dev_v1.jsonl": _rows(settings, "data-science-interviews",
                                        ["dsi-theory-001"], "dev"),
        "dsi_blind_test_v1.jsonl": _rows(settings, "data-science-interviews",
                                         ["dsi-theory-002"], "dev"),
        "dsi_blind_test_v2.jsonl": _rows(settings, "data-science-interviews",
                                         ["dsi-theory-003"], "test"),
        "guides_blind_dev_v1.jsonl": [],
        "guides_blind_test_v1.jsonl": [],
    }
    for name, rows in files.items():
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows),
                                     encoding="utf-8")
    return tmp_path


def test_dev_and_test_side_by_side_with_test_in_aggregate_only(
    root: Path, tmp_path: Path, settings: Settings,
) -> None:
    report = bl.run_blind_eval(settings, encoder=BagOfWordsEncoder(dim=256), calibration=_cal(),
                               root=root, runs_dir=tmp_path / "runs",
                               reports_dir=tmp_path / "reports")
    names = {(g.name, g.split) for g in report.groups}
    assert {("kraken guide questions", "dev"), ("kraken guide questions", "test")} <= names
    assert ("kraken authored questions", "test") in names
    assert ("data-science-interviews", "dev") in names
    assert report.policy_version == ReferencePolicy().version
    guide_test = report.group("kraken guide questions", "test")
    assert guide_test is not None and guide_test.n == 3
    assert set(guide_test.by_kind) == {"strong", "thin", "buzzword"}
    # the jargon cap holds before the exemplar blend, which may lift a cue's cap when the answer
    # reads like exemplars graded higher (`ReferenceGrader._overall`); the bar is 2.5
    buzz = guide_test.by_kind["buzzword"]["reference"]
    assert buzz <= bl.TARGET_BAD_MEAN and buzz < guide_test.by_kind["strong"]["reference"]
    assert set(report.gaps) == {"dev", "test"}
    assert report.gaps["test"] == pytest.approx(
        report.own_spearman - guide_test.metrics["reference"].spearman)
    assert any(k.startswith("test kraken guide questions: Spearman") for k in report.targets)
    assert all(k.startswith(("test ", "own-set")) for k in report.targets)
    # nothing of a test answer leaves the eval: no id in the run log or the report
    log = next((tmp_path / "runs").glob("grading-blind-*.jsonl")).read_text()
    md = (tmp_path / "reports" / "grading_blind.md").read_text()
    assert "-dev" in log
    for text in (log, md):
        assert "-test" not in text
    assert "| dev n | test n |" in md and "own-set" in md.lower().replace("own set", "own-set")


def test_only_the_halves_asked_for_are_read(root: Path, settings: Settings) -> None:
    (root / "kraken_blind_test_v4.jsonl").unlink()
    report = bl.run_blind_eval(settings, splits=("dev",), encoder=BagOfWordsEncoder(dim=256),
                               calibration=_cal(), root=root)
    assert {g.split for g in report.groups} == {"dev"} and not report.targets
    with pytest.raises(NotFoundError):
        bl.run_blind_eval(settings, splits=("test",), encoder=BagOfWordsEncoder(dim=256),
                          calibration=_cal(), root=root)


def test_groups_follow_pack_and_provenance() -> None:
    assert bl.group_of("kraken-ml-engineer", "guide") == "kraken guide questions"
    assert bl.group_of("kraken-ml-engineer", "authored") == "kraken authored questions"
    assert bl.group_of("data-science-interviews", "source") == "data-science-interviews"
    assert bl.group_of("northbridge-bank-data-analyst", "derived") == bl.GROUPS[3]


def test_fixture_guides_are_graded_on_their_derived_packs(tmp_path: Path,
                                                         settings: Settings) -> None:
    """A blind row naming a fixture guide is graded against the pack derived from that guide."""
    from interviewer.packs.derive import derive_pack
    from interviewer.packs.guide_parser import parse_guide

    guide = bl.GUIDES_DIR / "northbridge-bank-data-analyst.txt"
    pack = derive_pack(parse_guide(guide.read_text(encoding="utf-8"), guide.name), "x")
    q = pack.questions[0]
    row = {"id": f"{q.id}-strong", "pack": "northbridge-bank-data-analyst", "question_id": q.id,
           "kind": "strong", "answer": q.example_answer, "expected_score": 5}
    for name in bl.FILES["dev"]:
        (tmp_path / name).write_text(json.dumps(row) + "\n" if name.startswith("guides")
                                     else "", encoding="utf-8")
    cases = bl.blind_cases(settings, "dev", tmp_path)
    assert [c.group for c in cases] == [bl.GROUPS[3]]
    assert cases[0].question.provenance == "derived" and cases[0].question.key_points


@pytest.mark.integration
def test_committed_blind_sets_are_complete(settings: Settings) -> None:
    """Counts and kinds only: the test files' answers are never shown here either."""
    from evals import DATASETS_DIR

    for name, n, kinds in (("kraken_blind_dev_v1.jsonl", 352, 11),
                           ("kraken_blind_test_v1.jsonl", 352, 11),
                           ("kraken_blind_test_v2.jsonl", 352, 11),
                           ("kraken_blind_test_v3.jsonl", 352, 11),
                           ("kraken_blind_test_v4.jsonl", 352, 11),
                           ("kraken_blind_test_v5.jsonl", 352, 11),
                           ("kraken_blind_test_v6.jsonl", 704, 11),
                           ("dsi_blind_dev_v1.jsonl", 150, 10),
                           ("dsi_blind_test_v1.jsonl", 150, 10),
                           ("dsi_blind_test_v2.jsonl", 150, 10),
                           ("guides_blind_dev_v1.jsonl", 132, 11),
                           ("guides_blind_test_v1.jsonl", 176, 11)):
        rows = [json.loads(x) for x in (DATASETS_DIR / "blind" / name).read_text(
            encoding="utf-8").splitlines() if x.strip()]
        assert len(rows) == n and len({r["kind"] for r in rows}) == kinds, name
        assert len({r["id"] for r in rows}) == n
        assert all(1 <= int(r["expected_score"]) <= 5 for r in rows)
