"""The blind sets: graded answers written by people who saw only the question texts (never a
pack's key points, examples, misconceptions or the grader), split into a dev half that tuning
may read and a frozen test half that only this eval reads, in aggregate.

`interviewer eval grading --dataset blind [--split dev|test] [--grader reference|llm]
[--limit N]` grades both halves and reports them side by side per group (the Kraken guide's 12
questions, its authored screening/behavioral/final/responsible-AI questions, the second pack, the
fixture guides' derived packs), with Spearman, Pearson, the two baselines, mean score by kind, and
the gap between the own set (`kraken_answers_v1`, written by the grader's authors) and the blind
test set. Per-answer results of the test half are never printed, logged or written: the report
holds aggregates only.

With `--grader llm` the LLM rubric grader grades the same answers (the configured endpoint);
its report is its own file, names the model and prompt version, and counts the answers on which
the LLM failed and the reference grade stood: those are left out of the LLM's numbers, which sit
beside the reference grader's on the very answers the LLM graded. `--limit N` grades a stratified
sample of at most N answers per half (every group and kind, a fixed seed) so a slow model can be
measured in reasonable time.
"""

from __future__ import annotations

import json
import logging
import random
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from evals.grading import (
    CachingEncoder,
    Case,
    CaseResult,
    kraken_cases,
    run_cases,
    score_sets,
)
from evals.metrics.grading import AgreementMetrics, agreement
from interviewer.core.agents import LLM, REFERENCE, GraderKind
from interviewer.core.errors import ConfigError, InputError, NotFoundError
from interviewer.core.pack import Pack, load_pack
from interviewer.core.settings import Settings

if TYPE_CHECKING:
    from interviewer.core.grade import Grader
    from interviewer.llm import CallInfo, ChatModel, Completion, Message

BLIND_DIR = "blind"
Split = Literal["dev", "test"]
# (file, split): which file holds which half; a group is found per answer (see `group_of`)
# The v1 test files were reported three times while the grader changed; they became dev. So did
# the Kraken v2 and v3 test files (read three times in session 7). The Kraken test half is v4 (new
# writers, who saw only the question texts; read once, before 26 more exemplars a question went
# in) and v5 (two more writers; read once, at the end). v6 (four writers, each question twice)
# was written in session 9 before its grading change was measured, and joined them. The second
# pack's v2 and the fixture guides' test file stay test.
FILES: dict[Split, list[str]] = {
    "dev": ["kraken_blind_dev_v1.jsonl", "kraken_blind_test_v1.jsonl", "kraken_blind_test_v2.jsonl",
            "kraken_blind_test_v3.jsonl", "dsi_blind_dev_v1.jsonl", "dsi_blind_test_v1.jsonl",
            "guides_blind_dev_v1.jsonl"],
    "test": ["kraken_blind_test_v4.jsonl", "kraken_blind_test_v5.jsonl",
             "kraken_blind_test_v6.jsonl", "dsi_blind_test_v2.jsonl", "guides_blind_test_v1.jsonl"],
}
GROUPS = ("kraken guide questions", "kraken authored questions", "data-science-interviews",
          "derived packs (fixture guides)")
# packs derived from the test fixtures' guides (no hand-written field), built when first met
GUIDES_DIR = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "guides"
# kinds a careful panel grades 1-2 whatever their vocabulary: the targets cap their mean
BAD_KINDS = ("keyword_stuffed", "confidently_wrong", "red_flag", "buzzword", "evasive",
             "off_topic", "injection")
GOOD_KINDS = ("strong", "good")
# the "done when" on the blind test split
TARGET_SPEARMAN = {"kraken guide questions": 0.75, "kraken authored questions": 0.80}
TARGET_BAD_MEAN = 2.5
TARGET_STRONG_MEAN = 4.0
TARGET_GAP = 0.10
# --limit: the stratified sample's fixed seed (the same answers on every run and machine)
SAMPLE_SEED = 12
# fewer answers graded (by the LLM, in an LLM run) than this in a group: no correlation for it
MIN_FOR_METRICS = 3
# the report files, one per grader (a sample of the reference grader's never replaces its report)
REPORT_FILES: dict[str, str] = {REFERENCE: "grading_blind.md", LLM: "grading_blind_llm.md"}
SAMPLE_REPORT_FILE = "grading_blind_sample.md"
# why an LLM grade fell back, in the report's words: a fixed vocabulary, matched against the
# grader's reason, so no text of a reply or an error (which might quote an answer) is reported
FALLBACK_KINDS: tuple[tuple[str, str], ...] = (
    (r"token limit|finish_reason=length", "reply cut off at the token limit"),
    (r"content filter", "blocked by a content filter"),
    (r"not a JSON object", "reply not JSON"),
    (r"invalid JSON for the schema", "JSON not matching the schema"),
    (r"criteria missing", "criteria missing from the reply"),
    (r"timed out", "endpoint timed out"),
    (r"cannot connect", "cannot connect to the endpoint"),
    (r"rate limited|HTTP 429", "rate limited"),
    (r"authentication failed|HTTP 401", "authentication failed"),
    (r"HTTP \d{3}", "HTTP error"),
    (r"refused", "the model refused"),
    (r"model error", "other model error"),
)


class GroupReport(BaseModel):
    """One group of one half: agreement for the grader and both baselines, and means by kind.

    For an LLM run, every number is on the answers the LLM graded (`n`); `sampled - n` of the
    group fell back to the reference grade and are counted in the run's `fallbacks`. The
    `reference` entries are the reference grader on those same answers."""

    name: str
    split: Split
    n: int
    metrics: dict[str, AgreementMetrics]  # reference [/ llm] / cosine / length
    by_kind: dict[str, dict[str, float]] = Field(default_factory=dict)  # kind -> n/expected/ref
    sampled: int = 0  # answers of the group graded (LLM and fallback); 0: the same as n


class FallbackCount(BaseModel):
    """One half of an LLM run: how many answers the LLM graded, and how many it did not."""

    sampled: int
    llm: int  # graded by the LLM (its numbers are on these only)
    fallback: int  # the LLM failed and the reference grade stood
    reasons: dict[str, int] = Field(default_factory=dict)  # FALLBACK_KINDS words -> count
    low_confidence: int = 0  # LLM grades flagged for a human look
    contained: int = 0  # LLM grades capped at the reference grade + margin

    @property
    def rate(self) -> float:
        return self.fallback / self.sampled if self.sampled else 0.0


class SampleInfo(BaseModel):
    """`--limit`: the stratified sample graded, per half (of how many answers)."""

    limit: int
    seed: int
    sampled: dict[str, int]
    total: dict[str, int]
    # kinds of the half no sampled answer has (a limit under `cover_size`; every group is in)
    missing_kinds: dict[str, list[str]] = Field(default_factory=dict)


class BlindReport(BaseModel):
    grader: str
    calibration_version: str  # the reference grader's (the LLM grader's fallback and check)
    policy_version: str
    git_commit: str | None
    splits: list[Split]
    groups: list[GroupReport]
    own_spearman: float | None = None  # kraken_answers_v1, all answers (reference grader only)
    gaps: dict[str, float] = Field(default_factory=dict)  # own - blind, per half (guide group)
    targets: dict[str, bool] = Field(default_factory=dict)
    mean_ms: float = 0.0
    model: str | None = None  # the LLM grader's configured model
    served_models: list[str] = Field(default_factory=list)  # the names the endpoint answered as
    prompt_version: str | None = None  # the LLM grader's prompt
    sample: SampleInfo | None = None
    fallbacks: dict[str, FallbackCount] = Field(default_factory=dict)  # per half, LLM runs
    model_calls: int = 0  # LLM runs: calls made (a retry is a second call)
    elapsed_s: float = 0.0

    def group(self, name: str, split: Split) -> GroupReport | None:
        return next((g for g in self.groups if g.name == name and g.split == split), None)


class BlindResult(CaseResult):
    """One answer of an LLM run: the reference grade (`reference`) and the LLM's own (`llm`,
    None when it fell back and the reference grade stood)."""

    llm: float | None = None
    fallback: str | None = None  # FALLBACK_KINDS words
    low_confidence: bool = False
    contained: bool = False
    model: str | None = None


def group_of(pack: str, provenance: str) -> str:
    if pack == "kraken-ml-engineer":
        return GROUPS[0] if provenance == "guide" else GROUPS[1]
    if pack == "data-science-interviews":
        return GROUPS[2]
    return GROUPS[3]


def _load(settings: Settings, name: str) -> Pack:
    """A knowledge pack, or one derived offline from the fixture guide of that name."""
    guide = GUIDES_DIR / f"{name}.txt"
    if guide.is_file():
        from interviewer.packs.derive import derive_pack
        from interviewer.packs.guide_parser import parse_guide

        return derive_pack(parse_guide(guide.read_text(encoding="utf-8"), guide.name), name)
    return load_pack(settings.knowledge_dir, name)


def blind_cases(settings: Settings, split: Split, root: Path | None = None) -> list[Case]:
    """The half's answers, as the app would grade them (with the question's neighbours)."""
    from evals import DATASETS_DIR
    from interviewer.grading.features import is_non_answer

    base = root or DATASETS_DIR / BLIND_DIR
    packs: dict[str, Pack] = {}
    cases = []
    for name in FILES[split]:
        src = base / name
        if not src.is_file():
            raise NotFoundError(f"blind set not found: {src}")
        for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:  # the position only: test rows are not shown
                raise InputError(f"{src}:{n}: invalid JSON: {e.msg}") from e
            pack = packs.get(row["pack"]) or _load(settings, row["pack"])
            packs[row["pack"]] = pack
            q = pack.question(row["question_id"])
            expected = float(row["expected_score"])
            cases.append(Case(
                id=row["id"], question=q, answer=row["answer"], human=expected,
                human_1_5=expected, non_answer=is_non_answer(row["answer"]), kind=row["kind"],
                neighbours=pack.neighbours(q), group=group_of(row["pack"], q.provenance),
            ))
    return cases


def stratified_sample(cases: list[Case], limit: int, seed: int = SAMPLE_SEED) -> list[Case]:
    """At most `limit` cases, every group and (when the limit allows: `cover_size`) every kind
    represented. Strata (group, kind) are taken in turn, one answer each per round, first those
    that bring a group not yet seen, then a kind not yet seen; answers within a stratum in a
    seeded random order. The blind sets hold about as many answers of each kind, so the sample
    keeps their mix. Cases keep file order."""
    if limit <= 0:
        raise InputError(f"--limit must be positive, not {limit}")
    order, strata = _strata_order(cases, seed)
    groups = len({g for g, _ in strata})
    if limit < groups:
        raise InputError(f"--limit {limit} is too small to represent every group: it needs at "
                         f"least {groups}")
    if limit >= len(cases):
        return list(cases)
    picked: list[int] = []
    depth = 0
    while len(picked) < limit:
        for k in order:
            if depth < len(strata[k]) and len(picked) < limit:
                picked.append(strata[k][depth])
        depth += 1
    return [cases[i] for i in sorted(picked)]


def cover_size(cases: list[Case], seed: int = SAMPLE_SEED) -> int:
    """The smallest limit whose sample holds every group and every kind (11 on the dev half)."""
    order, strata = _strata_order(cases, seed)
    need = {(0, g) for g, _ in strata} | {(1, k) for _, k in strata}
    seen: set[tuple[int, str]] = set()
    for n, (g, k) in enumerate(order, 1):
        seen |= {(0, g), (1, k)}
        if seen == need:
            return n
    return len(order)


def _strata_order(
    cases: list[Case], seed: int,
) -> tuple[list[tuple[str, str]], dict[tuple[str, str], list[int]]]:
    """The strata in the order a sample takes them (a new group first, then a new kind, ties in
    a seeded order), and each stratum's case indexes in a seeded order."""
    rng = random.Random(seed)
    strata: dict[tuple[str, str], list[int]] = {}
    for i, c in enumerate(cases):
        strata.setdefault((c.group or "-", c.kind or "-"), []).append(i)
    todo = sorted(strata)
    for k in todo:
        rng.shuffle(strata[k])
    rng.shuffle(todo)
    order: list[tuple[str, str]] = []
    groups: set[str] = set()
    kinds: set[str] = set()
    while todo:
        best = max(todo, key=lambda k: (k[0] not in groups, k[1] not in kinds))
        if best[0] in groups and best[1] in kinds:
            break
        order.append(best)
        groups.add(best[0])
        kinds.add(best[1])
        todo.remove(best)
    return order + todo, strata


def fallback_kind(reason: str) -> str:
    """The report's words for why an LLM grade fell back (never the reason's own text)."""
    return next((words for pattern, words in FALLBACK_KINDS if re.search(pattern, reason)),
                "other")


class CountingModel:
    """A chat model that counts the calls it passes on (the report says how many were made)."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner = inner
        self.model_name = inner.model_name
        self.calls = 0

    def complete(
        self, messages: list[Message], *, json_schema: dict[str, Any] | None = None,
        temperature: float = 0.0, max_tokens: int | None = None, info: CallInfo | None = None,
    ) -> Completion:
        self.calls += 1
        return self.inner.complete(messages, json_schema=json_schema, temperature=temperature,
                                   max_tokens=max_tokens, info=info)

    def stream(
        self, messages: list[Message], *, temperature: float = 0.7,
        max_tokens: int | None = None, info: CallInfo | None = None,
    ) -> Iterator[str]:
        self.calls += 1
        return self.inner.stream(messages, temperature=temperature, max_tokens=max_tokens,
                                 info=info)


def eval_grader(
    settings: Settings, kind: GraderKind, reference: Grader, model: ChatModel | None = None,
) -> tuple[Grader, CountingModel | None]:
    """The grader to measure, built by the app's factory around this eval's reference grader
    (the LLM grader's fallback and check); the LLM's model wrapped to count its calls."""
    from interviewer.grading.factory import GRADERS, resolve_grader

    chosen = resolve_grader(settings, kind, model=model)  # ConfigError: llm, no endpoint
    if chosen == REFERENCE:
        return reference, None
    if model is None:
        from interviewer.llm import make_chat_model

        model = make_chat_model(settings, "grader")
        if model is None:  # resolve_grader has ruled this out; kept for type narrowing
            raise ConfigError("no model endpoint configured for the LLM grader")
    counting = CountingModel(model)
    return GRADERS[LLM](settings, counting, reference), counting


@contextmanager
def _quiet_grader_log(active: bool) -> Iterator[None]:
    """While the test half is graded, the LLM grader's info lines (which quote the model's
    evidence, i.e. answer text) are not emitted."""
    logger = logging.getLogger("interviewer.grading.llm_grader")
    before = logger.level
    if active:
        logger.setLevel(max(before, logging.WARNING))
    try:
        yield
    finally:
        logger.setLevel(before)


def llm_results(
    cases: list[Case], reference: list[CaseResult], grader: Grader, split: Split,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[BlindResult]:
    """Grade each case with the LLM grader; a grade whose provenance is not the LLM's (the
    reference grade stood) is a fallback, kept apart from the LLM's numbers."""
    from interviewer.core.grade import GradeRequest

    out = []
    with _quiet_grader_log(split == "test"):
        for i, (c, r) in enumerate(zip(cases, reference, strict=True)):
            grade = grader.grade(GradeRequest(question=c.question, answer=c.answer,
                                              neighbours=c.neighbours))
            p = grade.provenance
            by_llm = p.grader == LLM and not p.fallback_reason
            reason = grade.confidence_reason or ""
            out.append(BlindResult(
                **r.model_dump(), llm=grade.score if by_llm else None,
                fallback=None if by_llm else fallback_kind(p.fallback_reason or "model error"),
                low_confidence=by_llm and grade.low_confidence,
                contained=by_llm and "contained:" in reason,
                model=p.model if by_llm else None,
            ).model_copy(update={"duration_ms": p.duration_ms}))
            if progress:
                progress(split, i + 1, len(cases))
    return out


def fallback_count(results: list[BlindResult]) -> FallbackCount:
    reasons: dict[str, int] = {}
    for r in results:
        if r.fallback:
            reasons[r.fallback] = reasons.get(r.fallback, 0) + 1
    return FallbackCount(
        sampled=len(results), llm=sum(r.llm is not None for r in results),
        fallback=sum(r.llm is None for r in results), reasons=dict(sorted(reasons.items())),
        low_confidence=sum(r.low_confidence for r in results),
        contained=sum(r.contained for r in results),
    )


def _group_report(name: str, split: Split, results: list[CaseResult], calibration: Any,
                  grader: str = REFERENCE) -> GroupReport:
    """Agreement and means by kind; for an LLM run on the answers the LLM graded only."""
    graded = results
    if grader == LLM:
        graded = [r for r in results if isinstance(r, BlindResult) and r.llm is not None]
    metrics: dict[str, AgreementMetrics] = {}
    if len(graded) >= MIN_FOR_METRICS:
        sets = score_sets(graded, calibration, "points")
        human = [r.human_1_5 for r in graded]
        if grader == LLM:
            metrics[LLM] = agreement([_llm(r) for r in graded], human)
        metrics.update({g: agreement(s15, human) for g, (s15, _) in sets.items()})
    kinds: dict[str, list[CaseResult]] = {}
    for r in graded:
        kinds.setdefault(r.kind or "-", []).append(r)
    by_kind = {}
    for k, rs in sorted(kinds.items()):
        row = {"n": float(len(rs)), "expected": float(np.mean([r.human_1_5 for r in rs])),
               "reference": float(np.mean([r.reference for r in rs]))}
        if grader == LLM:
            row[LLM] = float(np.mean([_llm(r) for r in rs]))
        by_kind[k] = row
    return GroupReport(name=name, split=split, n=len(graded), metrics=metrics, by_kind=by_kind,
                       sampled=len(results))


def _llm(r: CaseResult) -> float:
    score = r.llm if isinstance(r, BlindResult) else None
    if score is None:
        raise ValueError(f"{r.id}: no LLM grade")  # callers pass LLM-graded answers only
    return score


def check_targets(report: BlindReport) -> dict[str, bool]:
    """The issue's targets, on the test half only (dev numbers are tuned on), for the grader
    the report measures."""
    key = report.grader
    out: dict[str, bool] = {}
    for name, target in TARGET_SPEARMAN.items():
        g = report.group(name, "test")
        if g and key in g.metrics:
            out[f"test {name}: Spearman >= {target}"] = g.metrics[key].spearman >= target
    tests = [g for g in report.groups if g.split == "test"]
    if tests:
        for kind in (*BAD_KINDS[:5], *GOOD_KINDS[:1]):
            mean = _kind_mean(tests, kind, key)
            if mean is None:
                continue
            if kind in GOOD_KINDS:
                out[f"test {kind} mean >= {TARGET_STRONG_MEAN}"] = mean >= TARGET_STRONG_MEAN
            else:
                out[f"test {kind} mean <= {TARGET_BAD_MEAN}"] = mean <= TARGET_BAD_MEAN
    if "test" in report.gaps:
        out[f"own-set minus blind test gap < {TARGET_GAP}"] = report.gaps["test"] < TARGET_GAP
    return out


def _kind_mean(groups: list[GroupReport], kind: str, key: str = REFERENCE) -> float | None:
    rows = [g.by_kind[kind] for g in groups if kind in g.by_kind and key in g.by_kind[kind]]
    n = sum(row["n"] for row in rows)
    if not n:
        return None
    return sum(row["n"] * row[key] for row in rows) / n


def kind_means(report: BlindReport, split: Split, key: str | None = None) -> dict[str, float]:
    """Mean score per kind over every group of one half (the report's grader unless named)."""
    groups = [g for g in report.groups if g.split == split]
    kinds = sorted({k for g in groups for k in g.by_kind})
    return {k: m for k in kinds
            if (m := _kind_mean(groups, k, key or report.grader)) is not None}


def report_file(grader: str, limit: int | None) -> str:
    """The report's file name: the LLM grader's own; a reference sample never replaces the
    reference grader's full report."""
    if grader == REFERENCE and limit is not None:
        return SAMPLE_REPORT_FILE
    return REPORT_FILES[grader]


def run_blind_eval(
    settings: Settings, *, splits: tuple[Split, ...] = ("dev", "test"), encoder: Any = None,
    calibration: Any = None, root: Path | None = None, runs_dir: Path | None = None,
    reports_dir: Path | None = None, grader: GraderKind = REFERENCE,
    model: ChatModel | None = None, limit: int | None = None, seed: int = SAMPLE_SEED,
    progress: Callable[[str, int, int], None] | None = None,
) -> BlindReport:
    """Grade the blind halves asked for with the grader asked for (`model`: the LLM grader's
    model, else the configured endpoint); the run log holds dev answers only."""
    from evals import RunLog, git_commit
    from interviewer.grading.reference import ReferenceGrader, load_calibration

    started = time.perf_counter()
    if encoder is None:
        from interviewer.packs.embeddings import MiniLM

        encoder = MiniLM.for_grading()
    cal = calibration or load_calibration()
    cache = encoder if isinstance(encoder, CachingEncoder) else CachingEncoder(encoder)
    reference = ReferenceGrader(cache, cal)
    measured, counter = eval_grader(settings, grader, reference, model)
    llm_prompt = getattr(measured, "prompt", None)
    own_spearman = None
    if grader == REFERENCE:
        own = run_cases(kraken_cases(settings), reference, cache)
        own_spearman = agreement([r.reference for r in own],
                                 [r.human_1_5 for r in own]).spearman
    groups: list[GroupReport] = []
    ms: list[float] = []
    dev_results: list[CaseResult] = []
    fallbacks: dict[str, FallbackCount] = {}
    sampled: dict[str, int] = {}
    total: dict[str, int] = {}
    missing: dict[str, list[str]] = {}
    served: set[str] = set()
    for split in splits:
        every = blind_cases(settings, split, root)
        cases = every if limit is None else stratified_sample(every, limit, seed)
        total[split], sampled[split] = len(every), len(cases)
        missing[split] = sorted({c.kind or "-" for c in every} - {c.kind or "-" for c in cases})
        results: list[CaseResult] = run_cases(cases, reference, cache)
        if grader == LLM:
            graded = llm_results(cases, results, measured, split, progress)
            fallbacks[split] = fallback_count(graded)
            served |= {r.model for r in graded if r.model}
            results = list(graded)
        ms += [r.duration_ms for r in results]
        if split == "dev":
            dev_results = results
        for name in GROUPS:
            idx = [i for i, c in enumerate(cases) if c.group == name]
            if idx:
                groups.append(_group_report(name, split, [results[i] for i in idx], cal,
                                            grader))
    report = BlindReport(
        grader=grader, calibration_version=cal.version, policy_version=reference.policy.version,
        git_commit=git_commit(), splits=list(splits), groups=groups, own_spearman=own_spearman,
        mean_ms=float(np.mean(ms)) if ms else 0.0,
        model=counter.model_name if counter else None, served_models=sorted(served),
        prompt_version=llm_prompt.version if llm_prompt is not None else None,
        sample=SampleInfo(limit=limit, seed=seed, sampled=sampled, total=total,
                          missing_kinds={k: v for k, v in missing.items() if v})
        if limit is not None else None,
        fallbacks=fallbacks, model_calls=counter.calls if counter else 0,
    )
    if own_spearman is not None:
        for split in splits:
            g = report.group(GROUPS[0], split)
            if g and REFERENCE in g.metrics:
                report.gaps[split] = own_spearman - g.metrics[REFERENCE].spearman
    report.targets = check_targets(report)
    report.elapsed_s = round(time.perf_counter() - started, 1)
    run_path = None
    if runs_dir is not None:
        name = "grading-blind" if grader == REFERENCE else f"grading-blind-{grader}"
        log = RunLog(runs_dir, name,
                     {"splits": list(splits), "grader": grader, "model": report.model,
                      "prompt_version": report.prompt_version,
                      "calibration_version": cal.version,
                      "policy_version": reference.policy.version,
                      "git_commit": report.git_commit, "limit": limit,
                      "seed": seed if limit is not None else None,
                      "note": "per-answer events for the dev half only; the test half is "
                              "aggregate only"})
        for r in dev_results:
            log.case(r.id, r)
        log.final(report)
        run_path = log.path
    if reports_dir is not None:
        reports_dir.mkdir(parents=True, exist_ok=True)
        (reports_dir / report_file(grader, limit)).write_text(markdown(report, run_path),
                                                              encoding="utf-8")
    return report


def _cell(g: GroupReport | None, key: str) -> str:
    if g is None or key not in g.metrics:
        return "-"
    m = g.metrics[key]
    return f"{m.spearman:.3f} / {m.pearson:.3f}"


def _header(report: BlindReport, run_path: Path | None) -> list[str]:
    who = f"Grader `{report.grader}`"
    if report.grader == LLM:
        served = ", ".join(f"`{m}`" for m in report.served_models if m != report.model)
        who += (f", model `{report.model}`" + (f" (served as {served})" if served else "")
                + f", prompt `{report.prompt_version}`; its fallback and check, the reference "
                "grader:")
    mean = (f"{report.mean_ms / 1000:.1f} s per answer (the LLM's calls and the reference "
            "grade)" if report.grader == LLM
            else f"{report.mean_ms:.1f} ms per answer (embeddings precomputed in one batch)")
    lines = [
        f"{who} calibration `{report.calibration_version}`, policy `{report.policy_version}`, "
        f"commit `{report.git_commit or 'unknown'}`, mean {mean}"
        + (f", {report.elapsed_s:.0f} s in all" if report.elapsed_s else "") + "."
        + (f" Run log (dev answers only): `{run_path.name}`." if run_path else ""),
        "",
    ]
    if report.sample:
        s = report.sample
        lines += [
            f"A stratified sample (`--limit {s.limit}`, seed {s.seed}): "
            + ", ".join(f"{s.sampled[x]} of {s.total[x]} {x} answers" for x in report.splits)
            + "; the (group, kind) strata taken in turn, every group represented, "
            + ("every kind too." if not s.missing_kinds else "kinds not in it: " + "; ".join(
                f"{x} {', '.join(k)}" for x, k in s.missing_kinds.items())
               + " (a larger limit takes every kind)."), ""]
    return lines


def _fallback_lines(report: BlindReport) -> list[str]:
    if report.grader != LLM:
        return []
    lines = [
        "## Answers the LLM graded, and fallbacks", "",
        "A fallback is an answer on which the LLM failed (an endpoint error, or an unusable "
        "reply twice) and the reference grade stood. Fallbacks are not in the LLM's numbers "
        "below; every number of this report is on the answers the LLM graded, and `reference` "
        "is the reference grader on those same answers.", "",
        "| half | graded | by the LLM | fallbacks | why | low-confidence | contained |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for split in report.splits:
        f = report.fallbacks.get(split)
        if f is None:
            continue
        why = ", ".join(f"{k} {v}" for k, v in f.reasons.items()) or "-"
        lines.append(f"| {split} | {f.sampled} | {f.llm} | {f.fallback} ({f.rate:.0%}) | {why} | "
                     f"{f.low_confidence} | {f.contained} |")
    lines += ["", f"Model calls: {report.model_calls} (a reply that could not be used is asked "
              "again once).", ""]
    return lines


def markdown(report: BlindReport, run_path: Path | None = None) -> str:
    splits = report.splits
    keys = [LLM, REFERENCE, "cosine", "length"] if report.grader == LLM else [
        REFERENCE, "cosine", "length"]
    names = {LLM: "llm", REFERENCE: "reference", "cosine": "cosine", "length": "length"}
    lines = [
        "# Grading eval: blind sets" + (" (LLM grader)" if report.grader == LLM else ""),
        "",
        *_header(report, run_path),
        "Answers written by helpers who saw only the question texts (`evals/datasets/blind/`, see "
        "its README). `dev` is read while tuning; `test` is frozen and reported here in "
        "aggregate only. Baselines as in the other grading reports: `cosine` = embedding "
        "cosine(answer, example answer), `length` = log(1 + words).",
        "",
        *_fallback_lines(report),
        "## Agreement with the expected scores (Spearman / Pearson)",
        "",
        "| group | " + " | ".join(f"{s} n" for s in splits) + " | "
        + " | ".join(f"{names[k]} {s}" for k in keys for s in splits) + " |",
        "| --- |" + " ---: |" * ((1 + len(keys)) * len(splits)),
    ]
    for name in GROUPS:
        gs = [report.group(name, s) for s in splits]
        if not any(gs):
            continue
        lines.append(f"| {name} | " + " | ".join(_n(g) for g in gs) + " | "
                     + " | ".join(_cell(g, k) for k in keys for g in gs) + " |")
    if report.grader == LLM:
        lines += ["", f"`n`: answers the LLM graded (of those sampled, when fallbacks); no "
                  f"correlation under {MIN_FOR_METRICS}. The own set and the own-set gap are "
                  "the reference grader's (`grading_blind.md`).", ""]
    else:
        lines += ["", f"Own set (`kraken_answers_v1`, written by the grader's authors, the "
                  f"guide's 12 questions): Spearman {report.own_spearman or 0.0:.3f}. Own-set "
                  "minus blind gap on the same 12 questions: "
                  + ", ".join(f"{s} {report.gaps[s]:+.3f}" for s in splits if s in report.gaps)
                  + f" (target < {TARGET_GAP}).", ""]
    key = report.grader
    cell_help = ("llm (reference) [expected]" if key == LLM else "reference (expected)")
    lines += [f"## Mean score by kind: {cell_help}", "",
              "| group | kind | " + " | ".join(splits) + " |",
              "| --- | --- |" + " ---: |" * len(splits)]
    if not any(g.by_kind for g in report.groups):
        lines.append("| (none graded by the LLM) | | " + " | ".join("-" for _ in splits) + " |")
    for name in GROUPS:
        kinds = sorted({k for s in splits if (g := report.group(name, s)) for k in g.by_kind})
        for k in kinds:
            cells = []
            for s in splits:
                g = report.group(name, s)
                v = g.by_kind.get(k) if g else None
                cells.append(_kind_cell(v, key) if v else "-")
            lines.append(f"| {name} | {k} | " + " | ".join(cells) + " |")
    lines += ["", "All groups together" + (" (llm, reference on the same answers)"
                                           if key == LLM else "") + ":", "",
              "| kind | " + " | ".join(splits) + " |", "| --- |" + " ---: |" * len(splits)]
    means = {s: kind_means(report, s) for s in splits}
    refs = {s: kind_means(report, s, REFERENCE) for s in splits}
    for k in sorted({k for s in splits for k in means[s]}):
        lines.append(f"| {k} | " + " | ".join(
            ("-" if k not in means[s] else f"{means[s][k]:.2f}"
             + (f" ({refs[s][k]:.2f})" if key == LLM else "")) for s in splits) + " |")
    if report.targets:
        lines += ["", f"## Targets (issue 12, on the test half, `{key}` grader)", ""]
        lines += [f"- [{'x' if v else ' '}] {k}" for k, v in report.targets.items()]
    return "\n".join(lines) + "\n"


def _n(g: GroupReport | None) -> str:
    if g is None:
        return "-"
    return f"{g.n} of {g.sampled}" if g.sampled and g.sampled != g.n else str(g.n)


def _kind_cell(v: dict[str, float], key: str) -> str:
    if key == LLM:
        return f"{v[LLM]:.2f} ({v['reference']:.2f}) [{v['expected']:.2f}]"
    return f"{v['reference']:.2f} ({v['expected']:.2f})"


def print_summary(report: BlindReport, out: Any = None) -> None:
    out = out or sys.stdout
    key = report.grader
    extra = (f" model={report.model} prompt={report.prompt_version}" if key == LLM else "")
    print(f"grading eval: blind {'+'.join(report.splits)}  grader={report.grader}{extra} "
          f"calibration={report.calibration_version} policy={report.policy_version}", file=out)
    if report.sample:
        info = report.sample
        print(f"  sample (--limit {info.limit}, seed {info.seed}): "
              + ", ".join(f"{x} {info.sampled[x]}/{info.total[x]}" for x in report.splits)
              + "".join(f"; {x} kinds not sampled: {', '.join(k)}"
                        for x, k in info.missing_kinds.items()), file=out)
    for split, f in report.fallbacks.items():
        print(f"  {split:<4} graded by the LLM {f.llm}/{f.sampled}, fallbacks {f.fallback}"
              + (f" ({', '.join(f'{k} {v}' for k, v in f.reasons.items())})" if f.reasons
                 else "") + f", low-confidence {f.low_confidence}, contained {f.contained}",
              file=out)
    for g in report.groups:
        if key not in g.metrics:
            print(f"  {g.split:<4} {g.name:<27} n={g.n:<4} (too few graded for a correlation)",
                  file=out)
            continue
        m = g.metrics[key]
        ref = (f"reference {g.metrics[REFERENCE].spearman:.3f}, " if key == LLM else "")
        print(f"  {g.split:<4} {g.name:<27} n={g.n:<4} spearman {m.spearman:.3f} pearson "
              f"{m.pearson:.3f} ({ref}cosine {g.metrics['cosine'].spearman:.3f}, length "
              f"{g.metrics['length'].spearman:.3f})", file=out)
    for s in report.splits:
        km = kind_means(report, s)
        print(f"  {s} means: " + ", ".join(f"{k} {v:.2f}" for k, v in km.items()), file=out)
    if report.own_spearman is not None:
        print(f"  own set spearman {report.own_spearman:.3f}"
              + ("; gap " + ", ".join(f"{s} {v:+.3f}" for s, v in report.gaps.items())
                 if report.gaps else ""), file=out)
    if key == LLM:
        print(f"  model calls {report.model_calls}, mean {report.mean_ms / 1000:.1f} s per "
              f"answer, {report.elapsed_s:.0f} s in all", file=out)
    for k, v in report.targets.items():
        print(f"  target {'PASS' if v else 'FAIL'}: {k}", file=out)
