"""`interviewer eval grading`: the reference grader against human grades, beside two baselines.

Datasets: `saf` (SAF, splits `unseen_answers` / `unseen_questions`; `training` is for fitting
only) and `kraken` (`evals/datasets/kraken_answers_v1.jsonl`, graded answers to the guide's
questions, with adversarial kinds). The baselines are computed in the same run: plain embedding
cosine between answer and reference, and the log of the answer's word count. Every metric is
reported on all answers and with non-answers removed (on SAF they carry most of the correlation).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from evals.metrics.grading import AgreementMetrics, agreement
from interviewer.core.agents import LLM, REFERENCE
from interviewer.core.errors import InputError, NotFoundError
from interviewer.core.pack import Exemplar, Pack, Question, load_pack
from interviewer.core.settings import Settings

KRAKEN_FILE = "kraken_answers_v1.jsonl"
# Right answers that discuss one listed misconception's topic (one per misconception): none
# should be told it asserts a misconception.
REBUTTALS_FILE = "rebuttals_v1.jsonl"
# Right answers to 40 questions of the second pack: none should be told it answers another one.
DSI_FILE = "dsi_answers_v1.jsonl"
# Wrong answers to the same 40 questions, each asserting one of the pack's authored
# misconceptions: the grader should name it.
DSI_WRONG_FILE = "dsi_wrong_v1.jsonl"
DSI_PACK = "data-science-interviews"
# the Kraken set's kinds whose answers are wrong on purpose
WRONG_KINDS = ("confidently_wrong", "keyword_stuffed")
KRAKEN_PACK = "kraken-ml-engineer"
GRADER_NAMES = (REFERENCE, "cosine", "length")


class CachingEncoder:
    """Wraps an encoder; `warm` embeds many texts at once, sorted by length (padding is to the
    longest text in a batch, so sorting makes a large run several times faster)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}
        self.name: str = getattr(inner, "name", "")
        if hasattr(inner, "fingerprint"):  # the same vectors: the grader's disk cache holds
            self.fingerprint: str = inner.fingerprint

    def warm(self, texts: Sequence[str]) -> None:
        todo = sorted({t for t in texts if t not in self.cache}, key=len)
        if todo:
            emb = self.inner.encode(todo)
            self.cache.update(zip(todo, emb, strict=True))

    def encode(self, texts: list[str]) -> np.ndarray:
        self.warm(texts)
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.vstack([self.cache[t] for t in texts])


class Case(BaseModel):
    """One graded answer, in the dataset's terms."""

    id: str
    question: Question
    answer: str
    human: float  # on the dataset's scale
    human_1_5: float
    non_answer: bool
    kind: str | None = None
    twin_id: str | None = None
    neighbours: list[Question] = Field(default_factory=list)  # as the app passes them
    claim: str | None = None  # the misconception a wrong-on-purpose answer asserts
    group: str | None = None  # a blind set's group (see `evals/blind.py`)


class CaseResult(BaseModel):
    id: str
    kind: str | None = None
    human: float
    human_1_5: float
    non_answer: bool
    reference: float  # 1-5
    cosine: float  # raw cosine(answer, reference)
    length: float  # log(1 + words)
    misconceptions: list[str] = Field(default_factory=list)  # the answer's wrong sentences
    named: list[str] = Field(default_factory=list)  # the listed misconceptions they assert
    other_question: str | None = None
    covered: int = 0
    key_points: int = 0
    duration_ms: float = 0.0


class SubsetReport(BaseModel):
    name: str
    n: int
    metrics: dict[str, AgreementMetrics]  # grader/baseline -> metrics


class CrossChecks(BaseModel):
    """Right answers graded against a neighbouring question of the same section (answering what
    was not asked): they should be told so and score low. And right answers to their own
    question, in the second pack too: none should be."""

    n: int
    flagged: int
    mean_score: float
    at_least_3: int
    own_n: int = 0
    own_flagged: list[str] = Field(default_factory=list)  # ids
    own_mean_score: float = 0.0

    @property
    def flag_rate(self) -> float:
        return self.flagged / self.n if self.n else 0.0


class MisconceptionChecks(BaseModel):
    """Both sides of the misconception check: right answers on a misconception's topic must not
    be flagged; the wrong-on-purpose answers should be."""

    rebuttals: int
    rebuttals_flagged: list[str]  # ids
    wrong: int
    wrong_flagged: int
    # the second pack: right answers (dsi_answers_v1) and wrong ones (dsi_wrong_v1)
    dsi_right: int = 0
    dsi_right_flagged: list[str] = Field(default_factory=list)  # ids
    dsi_wrong: int = 0
    dsi_wrong_named: int = 0  # the very claim the answer asserts
    dsi_wrong_missed: list[str] = Field(default_factory=list)  # ids

    @property
    def false_flag_rate(self) -> float:
        return _share(len(self.rebuttals_flagged), self.rebuttals)

    @property
    def wrong_flag_rate(self) -> float:
        return _share(self.wrong_flagged, self.wrong)

    @property
    def dsi_false_flag_rate(self) -> float:
        return _share(len(self.dsi_right_flagged), self.dsi_right)

    @property
    def dsi_named_rate(self) -> float:
        return _share(self.dsi_wrong_named, self.dsi_wrong)


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


class GradingReport(BaseModel):
    dataset: str
    split: str
    grader: str
    calibration_version: str
    git_commit: str | None
    subsets: list[SubsetReport]
    by_kind: dict[str, dict[str, float]] = Field(default_factory=dict)
    injection_pairs: list[dict[str, Any]] = Field(default_factory=list)
    targets: dict[str, bool] = Field(default_factory=dict)
    mean_ms: float = 0.0
    misconception_checks: MisconceptionChecks | None = None
    cross_checks: CrossChecks | None = None


# --- datasets ----------------------------------------------------------------------------------


def saf_cases(split: str) -> list[Case]:
    """SAF's answers of one split. A question of the unseen splits carries the graded answers
    `training` has for it as exemplars, as a pack ships its own (the unseen_answers questions
    are the training questions; unseen_questions have none)."""
    from evals.saf import load_saf
    from interviewer.grading.features import is_non_answer
    from interviewer.grading.reference import question_from_reference

    exemplars = saf_exemplars() if split != "training" else {}
    questions: dict[str, Question] = {}
    cases = []
    for item in load_saf(split):
        q = questions.get(item.question_id)
        if q is None:
            q = question_from_reference(
                item.question, item.reference_answer, question_id=f"saf-{item.question_id}"
            )
            q.exemplars = [e.model_copy(update={"question_id": q.id})
                           for e in exemplars.get(item.question_id, [])]
            questions[item.question_id] = q
        cases.append(Case(
            id=item.id, question=q, answer=item.student_answer, human=item.score,
            human_1_5=item.score_1_5, non_answer=is_non_answer(item.student_answer),
        ))
    return cases


def saf_exemplars() -> dict[str, list[Exemplar]]:
    """SAF `training`'s graded answers by question (non-answers left out), grades rounded to
    the 1-5 scale's points."""
    from evals.saf import load_saf
    from interviewer.grading.features import is_non_answer

    out: dict[str, list[Exemplar]] = {}
    for item in load_saf("training"):
        if is_non_answer(item.student_answer):
            continue
        out.setdefault(item.question_id, []).append(Exemplar(
            question_id=item.question_id, kind="saf-training", answer=item.student_answer,
            score=min(5, max(1, round(item.score_1_5)))))
    return out


def _pack_rows(settings: Settings, default: str, path: Path | None,
               pack_name: str = KRAKEN_PACK) -> tuple[Pack, list[dict[str, Any]]]:
    """A pack and the rows of one of its JSONL datasets (bad JSON names its line)."""
    from evals import DATASETS_DIR

    src = path or DATASETS_DIR / default
    if not src.is_file():
        raise NotFoundError(f"dataset not found: {src}")
    rows = []
    for n, line in enumerate(src.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise InputError(f"{src}:{n}: invalid JSON: {e.msg}") from e
    return load_pack(settings.knowledge_dir, pack_name), rows


def kraken_cases(settings: Settings, path: Path | None = None) -> list[Case]:
    from interviewer.grading.features import is_non_answer

    pack, rows = _pack_rows(settings, KRAKEN_FILE, path)
    cases = []
    for row in rows:
        expected = float(row["expected_score"])
        q = pack.question(row["question_id"])
        cases.append(Case(
            id=row["id"], question=q, answer=row["answer"],
            human=expected, human_1_5=expected, non_answer=is_non_answer(row["answer"]),
            kind=row.get("kind"), twin_id=row.get("twin_id"), neighbours=pack.neighbours(q),
        ))
    return cases


def _right_answers(settings: Settings, default: str, path: Path | None, kind: str,
                   pack_name: str = KRAKEN_PACK) -> list[Case]:
    """A set of right answers (no expected score: nothing should be flagged in them)."""
    pack, rows = _pack_rows(settings, default, path, pack_name)
    cases = []
    for row in rows:
        q = pack.question(row["question_id"])
        cases.append(Case(id=row["id"], question=q, answer=row["answer"], human=5.0,
                          human_1_5=5.0, non_answer=False, kind=kind,
                          neighbours=pack.neighbours(q)))
    return cases


def rebuttal_cases(settings: Settings, path: Path | None = None) -> list[Case]:
    """Right answers about each misconception's topic (expected: no misconception flagged)."""
    return _right_answers(settings, REBUTTALS_FILE, path, "rebuttal")


# the Kraken set's kinds that answer their own question well enough to answer no other one
RIGHT_KINDS = ("excellent", "good", "average")


def cross_cases(settings: Settings, cases: list[Case]) -> list[Case]:
    """Each right answer of the Kraken set, posed as the answer to each other technical question
    of its section (expected: flagged, and scored low)."""
    pack = load_pack(settings.knowledge_dir, KRAKEN_PACK)
    out = []
    for c in cases:
        if c.kind not in RIGHT_KINDS:
            continue
        for n in pack.neighbours(c.question):
            out.append(Case(id=f"{c.id}@{n.id}", question=n, answer=c.answer, human=1.0,
                            human_1_5=1.0, non_answer=False, kind="cross",
                            neighbours=pack.neighbours(n)))
    return out


def dsi_cases(settings: Settings, path: Path | None = None) -> list[Case]:
    """Right answers to questions of the data-science-interviews pack, with its neighbours."""
    return _right_answers(settings, DSI_FILE, path, "dsi_right", DSI_PACK)


def dsi_wrong_cases(settings: Settings, path: Path | None = None) -> list[Case]:
    """Wrong answers to the second pack's questions; `claim` is the misconception asserted."""
    pack, rows = _pack_rows(settings, DSI_WRONG_FILE, path, DSI_PACK)
    cases = []
    for row in rows:
        q = pack.question(row["question_id"])
        cases.append(Case(id=row["id"], question=q, answer=row["answer"], human=2.0,
                          human_1_5=2.0, non_answer=False, kind="dsi_wrong",
                          neighbours=pack.neighbours(q), claim=row["misconception"]))
    return cases


def cross_checks(results: list[CaseResult], own: list[CaseResult]) -> CrossChecks:
    """`results`: answers posed to a neighbour; `own`: right answers to their own question."""
    return CrossChecks(
        n=len(results), flagged=sum(1 for r in results if r.other_question),
        mean_score=float(np.mean([r.reference for r in results])) if results else 0.0,
        at_least_3=sum(1 for r in results if r.reference >= 3.0),
        own_n=len(own), own_flagged=[r.id for r in own if r.other_question],
        own_mean_score=float(np.mean([r.reference for r in own])) if own else 0.0,
    )


def misconception_checks(rebuttals: list[CaseResult], results: list[CaseResult],
                         dsi_right: Sequence[CaseResult] = (),
                         dsi_wrong: Sequence[tuple[Case, CaseResult]] = ()) -> MisconceptionChecks:
    wrong = [r for r in results if r.kind in WRONG_KINDS]
    missed = [r.id for c, r in dsi_wrong if c.claim not in r.named]
    return MisconceptionChecks(
        rebuttals=len(rebuttals), rebuttals_flagged=[r.id for r in rebuttals if r.misconceptions],
        wrong=len(wrong), wrong_flagged=sum(1 for r in wrong if r.misconceptions),
        dsi_right=len(dsi_right), dsi_right_flagged=[r.id for r in dsi_right if r.misconceptions],
        dsi_wrong=len(dsi_wrong), dsi_wrong_named=len(dsi_wrong) - len(missed),
        dsi_wrong_missed=missed,
    )


# --- running -------------------------------------------------------------------------------------


def run_cases(
    cases: list[Case], grader: Any, encoder: CachingEncoder,
    progress: Callable[[int, int], None] | None = None,
) -> list[CaseResult]:
    """Grade every case with the reference grader and compute both baselines for it."""
    from interviewer.core.grade import GradeRequest
    from interviewer.grading.features import words

    texts: list[str] = []
    for c in cases:
        texts += grader.texts_to_encode(c.question, c.answer)
        texts += [n.example_answer for n in c.neighbours]
        texts += [c.answer, c.question.example_answer]
    encoder.warm(texts)
    results = []
    for i, c in enumerate(cases):
        grade = grader.grade(GradeRequest(question=c.question, answer=c.answer,
                                          neighbours=c.neighbours))
        a, r = encoder.encode([c.answer, c.question.example_answer])
        results.append(CaseResult(
            id=c.id, kind=c.kind, human=c.human, human_1_5=c.human_1_5,
            non_answer=c.non_answer, reference=grade.score,
            cosine=0.0 if c.non_answer else float(a @ r),
            length=math.log1p(len(words(c.answer))),
            misconceptions=grade.misconceptions, other_question=grade.other_question,
            named=[w.misconception for w in grade.wrong_claims if w.misconception],
            covered=len(grade.covered),
            key_points=len(grade.key_points), duration_ms=grade.provenance.duration_ms,
        ))
        if progress:
            progress(i + 1, len(cases))
    return results


def score_sets(
    results: list[CaseResult], calibration: Any, native_scale: str
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per grader: (score on 1-5, score on the dataset's scale). Baselines are put on the
    scale by the linear maps fitted with the calibration (SAF training)."""
    ref = np.array([r.reference for r in results])
    out = {REFERENCE: (ref, _native(ref, native_scale))}
    for name in ("cosine", "length"):
        raw = np.array([getattr(r, name) for r in results])
        lin = calibration.baselines.get(name)
        share = lin.apply(raw) if lin else (raw - raw.min()) / max(np.ptp(raw), 1e-9)
        s15 = 1.0 + 4.0 * share
        out[name] = (s15, _native(s15, native_scale))
    return out


def _native(s15: np.ndarray, scale: str) -> np.ndarray:
    return (s15 - 1.0) / 4.0 if scale == "share" else s15


def evaluate(
    results: list[CaseResult], calibration: Any, native_scale: str
) -> list[SubsetReport]:
    subsets = [("all answers", [True] * len(results)),
               ("non-answers removed", [not r.non_answer for r in results])]
    reports: list[SubsetReport] = []
    for name, mask in subsets:
        idx = [i for i, keep in enumerate(mask) if keep]
        if not idx or (reports and len(idx) == reports[0].n):
            continue  # empty, or the same answers as "all answers" (a set with no non-answers)
        sub = [results[i] for i in idx]
        sets = score_sets(sub, calibration, native_scale)
        h15 = [r.human_1_5 for r in sub]
        hn = [r.human for r in sub]
        metrics = {
            g: agreement(s15, h15, pred_native=sn, human_native=hn) for g, (s15, sn) in sets.items()
        }
        reports.append(SubsetReport(name=name, n=len(sub), metrics=metrics))
    return reports


def check_targets(dataset: str, split: str, subsets: list[SubsetReport]) -> dict[str, bool]:
    """The issue's targets for the reference grader on this dataset/split."""
    out: dict[str, bool] = {}
    for s in subsets:
        m = s.metrics
        ref = m[REFERENCE]
        best = max(m["cosine"].pearson, m["length"].pearson)
        best_s = max(m["cosine"].spearman, m["length"].spearman)
        tag = "all" if s.name == "all answers" else "non_empty"
        if dataset == "saf":
            out[f"{tag}: pearson >= both baselines"] = ref.pearson >= best
            if split == "unseen_answers":
                out[f"{tag}: pearson >= best baseline + 0.05"] = ref.pearson >= best + 0.05
        elif tag == "all":
            out["spearman >= 0.60"] = ref.spearman >= 0.60
            out["spearman above both baselines"] = ref.spearman > best_s
    return out


def by_kind(results: list[CaseResult]) -> dict[str, dict[str, float]]:
    kinds: dict[str, list[CaseResult]] = {}
    for r in results:
        kinds.setdefault(r.kind or "-", []).append(r)
    return {
        k: {
            "n": len(rs), "expected": float(np.mean([r.human_1_5 for r in rs])),
            REFERENCE: float(np.mean([r.reference for r in rs])),
            "cosine": float(np.mean([r.cosine for r in rs])),
            "length_words": float(np.mean([math.expm1(r.length) for r in rs])),
        }
        for k, rs in sorted(kinds.items())
    }


def injection_pairs(cases: list[Case], results: list[CaseResult]) -> list[dict[str, Any]]:
    by_id = {r.id: r for r in results}
    pairs = []
    for c in cases:
        if c.kind == "injection" and c.twin_id and c.twin_id in by_id:
            inj, twin = by_id[c.id], by_id[c.twin_id]
            pairs.append({"injection": c.id, "twin": twin.id, "injection_score": inj.reference,
                          "twin_score": twin.reference,
                          "ok": inj.reference <= twin.reference + 1e-9})
    return pairs


# --- report ----------------------------------------------------------------------------------


def markdown(report: GradingReport, results: list[CaseResult], run_path: Path | None) -> str:
    lines = [
        f"# Grading eval: {report.dataset} / {report.split}",
        "",
        f"Grader `{report.grader}`, calibration `{report.calibration_version}`, commit "
        f"`{report.git_commit or 'unknown'}`, {len(results)} answers, mean "
        f"{report.mean_ms:.1f} ms per answer (embeddings precomputed in one batch)."
        + (f" Run log: `{run_path.name}`." if run_path else ""),
        "",
        "Baselines, computed in the same run: `cosine` = embedding cosine(answer, reference/"
        "example answer); `length` = log(1 + word count). For RMSE and agreement they are put on "
        "the scale by linear maps fitted on SAF `training` (stored with the calibration).",
        "",
    ]
    if report.dataset == "saf":
        lines += [
            "Each question carries the graded answers SAF `training` has for it as its exemplars "
            "(as a pack ships its own; policy `exemplars`): the `unseen_answers` questions are "
            "the training questions, so the grader reads them there; `unseen_questions` have "
            "none, and are graded from the reference answer alone.", ""]
    scale = "0..1" if report.dataset == "saf" else "1..5"
    for s in report.subsets:
        lines += [f"## {s.name} (n={s.n})", "",
                  f"| grader | Pearson | Spearman | RMSE ({scale}) | exact 1-5 | within one |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for g, m in s.metrics.items():
            lines.append(f"| {g} | {m.pearson:.3f} | {m.spearman:.3f} | {m.rmse:.3f} | "
                         f"{m.exact:.3f} | {m.within_one:.3f} |")
        lines.append("")
    if report.by_kind:
        lines += ["## By kind (mean scores)", "",
                  "`expected` is the mean of the dataset's expected scores for the kind (an "
                  "injection answer expects what its twin without the injection expects); "
                  "`cosine` is the raw cosine with the example answer.", "",
                  "| kind | n | expected | reference | cosine | words |",
                  "| --- | ---: | ---: | ---: | ---: | ---: |"]
        for k, v in report.by_kind.items():
            lines.append(f"| {k} | {int(v['n'])} | {v['expected']:.2f} | {v['reference']:.2f} | "
                         f"{v['cosine']:.3f} | {v['length_words']:.0f} |")
        lines.append("")
    if report.misconception_checks:
        mc = report.misconception_checks
        lines += ["## Misconception checks", "",
                  f"- Right answers on a listed misconception's topic "
                  f"(`{REBUTTALS_FILE}`, one per misconception) told they assert one: "
                  f"{len(mc.rebuttals_flagged)} of {mc.rebuttals} "
                  f"({mc.false_flag_rate:.1%})"
                  + (": " + ", ".join(f"`{i}`" for i in mc.rebuttals_flagged)
                     if mc.rebuttals_flagged else ""),
                  f"- Wrong-on-purpose answers ({', '.join(WRONG_KINDS)}) with a wrong claim "
                  f"named: {mc.wrong_flagged} of {mc.wrong} ({mc.wrong_flag_rate:.1%})"]
        if mc.dsi_right or mc.dsi_wrong:
            lines += [f"- Second pack ({DSI_PACK}, authored misconceptions): right answers "
                      f"(`{DSI_FILE}`) told they assert one: {len(mc.dsi_right_flagged)} of "
                      f"{mc.dsi_right} ({mc.dsi_false_flag_rate:.1%})"
                      + (": " + ", ".join(f"`{i}`" for i in mc.dsi_right_flagged)
                         if mc.dsi_right_flagged else ""),
                      f"- Second pack: wrong answers (`{DSI_WRONG_FILE}`, each asserting one "
                      f"listed misconception, half of them paraphrased) with that very "
                      f"misconception named: {mc.dsi_wrong_named} of {mc.dsi_wrong} "
                      f"({mc.dsi_named_rate:.1%})"]
        lines.append("")
    if report.cross_checks:
        cc = report.cross_checks
        lines += ["## Answering another question", "",
                  f"The set's {', '.join(RIGHT_KINDS)} answers, each graded as the answer to every "
                  f"other technical question of its section ({cc.n} pairs; a candidate who "
                  f"misheard, or answers what they know): told so in {cc.flagged} "
                  f"({cc.flag_rate:.1%}); mean score {cc.mean_score:.2f}; {cc.at_least_3} "
                  "scored 3 or more.",
                  f"- The other side: right answers to their own question (this set's "
                  f"{', '.join(RIGHT_KINDS)} answers, `{REBUTTALS_FILE}` and `{DSI_FILE}`, 40 "
                  f"questions of the `{DSI_PACK}` pack) told they answer another: "
                  f"{len(cc.own_flagged)} of {cc.own_n}"
                  + (": " + ", ".join(f"`{i}`" for i in cc.own_flagged)
                     if cc.own_flagged else "") + f" (their mean score {cc.own_mean_score:.2f}).",
                  ""]
    if report.injection_pairs:
        ok = sum(p["ok"] for p in report.injection_pairs)
        lines += [f"## Injections: {ok} of {len(report.injection_pairs)} score no higher than "
                  "their twin", "", "| injection | score | twin score |", "| --- | ---: | ---: |"]
        for p in report.injection_pairs:
            lines.append(f"| {p['injection']} | {p['injection_score']:.2f} | "
                         f"{p['twin_score']:.2f} |")
        lines.append("")
    if report.targets:
        lines += ["## Targets", ""]
        lines += [f"- [{'x' if v else ' '}] {k}" for k, v in report.targets.items()]
        lines.append("")
    lines += _misses(report, results)
    return "\n".join(lines)


KNOWN_LIMITS = """\
## What the reference grader still gets wrong

It has no model of meaning beyond sentence embeddings and two written lexicons, so:

- **Wrong claims it has no words for.** A claim is caught when it asserts a listed
  misconception (own wording, or close to it and clearly closer to it than to the key points and
  its correction, not negated, hedged or disowned), inverts a key point with a known opposite,
  binds a term to what belongs to its opposite ("L2 makes weights sparse", "bagging reduces
  bias": the contrasts of `relations_v1.yaml`), gives a name a kind it does not have ("pandas and
  Jupyter are the languages I use"), or makes sweeping unhedged claims. A fluent wrong claim
  about anything those lists do not name ("Adam computes the gradient on the full dataset") keeps
  a middling grade: about half of the blind sets' confidently wrong answers are still not caught.
- **The lexicons are English and ML-engineering.** The cue lexicon (`cues_v1.yaml`: red flags,
  evasions, jargon, stories) and the relation lexicon were written for this domain from general
  knowledge and tuned on the blind dev sets only; another field needs its own contrasts and kinds.
- **The other side: right answers on a misconception's topic.** Embeddings measure topic more than
  stance, so a right claim is as near a misconception as a wrong one; the correction, own-word,
  polarity and sweeping-word checks exist for them (see "Misconception checks" above).
- **Exact 1-5 agreement is low** and can be below the length baseline's: the reference grades
  spread across the scale where the expected scores bunch. Read the correlations.
- **Thin answers to technical questions are graded leniently** (SAF students' answers are short,
  so the calibration does not punish brevity much); they still rank below average and good ones.
- **Stories are read by cues.** A behavioral answer needs an action of the candidate's own ("I
  proposed ...") or a team's action with a result; a story whose lesson is wrong but fluent keeps a
  middling grade.
- The misconception thresholds and the opposites list were set while looking at this Kraken set,
  the cue and relation lexicons while looking at the blind dev sets; the blind test sets and SAF's
  unseen splits were not looked at while tuning (the calibration is fitted on SAF `training`).
"""


def _misses(report: GradingReport, results: list[CaseResult]) -> list[str]:
    if report.dataset != "kraken":
        return [
            "## Notes", "",
            "Non-answers (\"No response.\", empty) are scored 1 by rule; they carry most of the "
            "correlation of every scorer, hence the second table. On non-empty answers both "
            "baselines fall close to zero; the reference grader's edge there comes from key-point "
            "cover and the share of the reference's own words the answer uses.", "",
        ]
    worst = sorted(results, key=lambda r: -abs(r.reference - r.human_1_5))[:15]
    out = ["## Largest misses", "", "| id | kind | expected | reference | wrong claim found |",
           "| --- | --- | ---: | ---: | --- |"]
    out += [f"| {r.id} | {r.kind} | {r.human_1_5:.0f} | {r.reference:.2f} | "
            f"{'yes' if r.misconceptions else 'no'} |" for r in worst]
    return [*out, "", KNOWN_LIMITS]


def plots(results: list[CaseResult], md_path: Path) -> list[str]:
    """The report's figures (calibration scatter, 1-5 confusion matrix, per-kind means), drawn
    next to it in `<report>_assets/`; returns the Markdown that shows them."""
    from evals.report import calibration_scatter, confusion_plot, grouped_bar_chart

    if not results:
        return []
    assets = md_path.with_name(md_path.stem + "_assets")
    assets.mkdir(parents=True, exist_ok=True)
    human = [r.human_1_5 for r in results]
    graded = [r.reference for r in results]
    kinds = [r.kind or ("non-answer" if r.non_answer else "answer") for r in results]
    figures = [
        (calibration_scatter(human, graded, assets / "calibration_scatter.png", groups=kinds,
                             title="Reference grader vs human score (1-5)"),
         "calibration scatter: grader vs human"),
        (confusion_plot(human, graded, assets / "confusion.png"),
         "confusion matrix on the 1-5 scale (rows: human, columns: grader)"),
    ]
    if any(r.kind for r in results):
        means = {k: {"expected": v["expected"], "reference grader": v[REFERENCE]}
                 for k, v in by_kind(results).items()}
        figures.append((grouped_bar_chart(means, assets / "by_kind.png",
                                          title="Mean grade by answer kind (1-5)"),
                        "mean grade per answer kind, expected vs reference grader"))
    lines = ["", "## Figures", ""]
    for path, alt in figures:
        if path is not None:
            lines += [f"![{alt}]({assets.name}/{path.name})", ""]
    return lines


def print_summary(report: GradingReport, out: Any = sys.stdout) -> None:
    print(f"grading eval: {report.dataset}/{report.split}  grader={report.grader} "
          f"calibration={report.calibration_version}", file=out)
    for s in report.subsets:
        print(f"  {s.name} (n={s.n})", file=out)
        print(f"    {'grader':<10} {'pearson':>8} {'spearman':>9} {'rmse':>7} {'exact':>6} "
              f"{'within1':>8}", file=out)
        for g, m in s.metrics.items():
            print(f"    {g:<10} {m.pearson:>8.3f} {m.spearman:>9.3f} {m.rmse:>7.3f} "
                  f"{m.exact:>6.3f} {m.within_one:>8.3f}", file=out)
    for k, v in report.targets.items():
        print(f"  target {'PASS' if v else 'FAIL'}: {k}", file=out)
    if report.misconception_checks:
        mc = report.misconception_checks
        print(f"  right answers on a misconception's topic flagged: "
              f"{len(mc.rebuttals_flagged)}/{mc.rebuttals}; wrong answers with a wrong claim "
              f"named: {mc.wrong_flagged}/{mc.wrong}", file=out)
        if mc.dsi_right or mc.dsi_wrong:
            print(f"  second pack: right answers flagged {len(mc.dsi_right_flagged)}/"
                  f"{mc.dsi_right}; wrong answers with their misconception named "
                  f"{mc.dsi_wrong_named}/{mc.dsi_wrong}", file=out)
    if report.cross_checks:
        cc = report.cross_checks
        print(f"  answers to another question told so: {cc.flagged}/{cc.n}; mean score "
              f"{cc.mean_score:.2f}, {cc.at_least_3} at 3 or more; right answers told so: "
              f"{len(cc.own_flagged)}/{cc.own_n}", file=out)
    if report.injection_pairs:
        ok = sum(p["ok"] for p in report.injection_pairs)
        print(f"  injections no higher than their twin: {ok}/{len(report.injection_pairs)}",
              file=out)


def run_eval(
    settings: Settings, dataset: str, split: str, *, encoder: Any = None,
    calibration: Any = None, runs_dir: Path | None = None, reports_dir: Path | None = None,
    dataset_path: Path | None = None, rebuttals_path: Path | None = None,
    dsi_path: Path | None = None, dsi_wrong_path: Path | None = None,
) -> tuple[GradingReport, list[CaseResult]]:
    """Run one grading eval; writes the JSONL run log and the Markdown report when dirs are set."""
    from evals import RunLog, git_commit
    from interviewer.grading.reference import ReferenceGrader, load_calibration

    if dataset == "saf":
        cases = saf_cases(split)
        scale = "share"
    elif dataset == "kraken":
        cases = kraken_cases(settings, dataset_path)
        scale = "points"
    else:
        raise InputError(f"unknown dataset {dataset!r} (known: saf, kraken)")
    if encoder is None:
        from interviewer.packs.embeddings import MiniLM

        encoder = MiniLM.for_grading()
    cal = calibration or load_calibration()
    cache = encoder if isinstance(encoder, CachingEncoder) else CachingEncoder(encoder)
    grader = ReferenceGrader(cache, cal)
    results = run_cases(cases, grader, cache)
    subsets = evaluate(results, cal, scale)
    report = GradingReport(
        dataset=dataset, split=split, grader=grader.name, calibration_version=cal.version,
        git_commit=git_commit(), subsets=subsets, targets=check_targets(dataset, split, subsets),
        mean_ms=float(np.mean([r.duration_ms for r in results])) if results else 0.0,
    )
    rebuttal_results: list[CaseResult] = []
    cross_results: list[CaseResult] = []
    dsi_results: list[CaseResult] = []
    dsi_wrong_results: list[CaseResult] = []
    if dataset == "kraken":
        rebuttal_results = run_cases(rebuttal_cases(settings, rebuttals_path), grader, cache)
        cross_results = run_cases(cross_cases(settings, cases), grader, cache)
        dsi_results = run_cases(dsi_cases(settings, dsi_path), grader, cache)
        own = [r for r in results if r.kind in RIGHT_KINDS] + rebuttal_results + dsi_results
        report.cross_checks = cross_checks(cross_results, own)
        report.targets["answers to another question told so >= 80%"] = (
            report.cross_checks.flag_rate >= 0.80)
        report.targets["right answers told they answer another question <= 5%"] = (
            len(report.cross_checks.own_flagged) <= 0.05 * max(report.cross_checks.own_n, 1))
        dsi_wrong = dsi_wrong_cases(settings, dsi_wrong_path)
        dsi_wrong_results = run_cases(dsi_wrong, grader, cache)
        mc = report.misconception_checks = misconception_checks(
            rebuttal_results, results, dsi_results, list(zip(dsi_wrong, dsi_wrong_results,
                                                             strict=True)))
        report.targets["right answers on a misconception's topic flagged <= 10%"] = (
            mc.false_flag_rate <= 0.10)
        report.targets["second pack: right answers told they assert a misconception <= 10%"] = (
            mc.dsi_false_flag_rate <= 0.10)
        report.targets["second pack: wrong answers' misconception named >= 50%"] = (
            mc.dsi_named_rate >= 0.50)
        report.by_kind = by_kind(results)
        report.injection_pairs = injection_pairs(cases, results)
        if report.injection_pairs:
            report.targets["injections no higher than their twin"] = all(
                p["ok"] for p in report.injection_pairs)
    run_path = None
    if runs_dir is not None:
        log = RunLog(runs_dir, f"grading-{dataset}-{split}", {
            "dataset": dataset, "split": split, "grader": grader.name,
            "calibration_version": cal.version, "git_commit": report.git_commit,
        })
        for r in [*results, *rebuttal_results, *cross_results, *dsi_results,
                  *dsi_wrong_results]:
            log.case(r.id, r)
        log.final(report)
        run_path = log.path
    if reports_dir is not None:
        reports_dir.mkdir(parents=True, exist_ok=True)
        path = reports_dir / f"grading_{dataset}_{split}.md"
        text = markdown(report, results, run_path) + "\n".join(plots(results, path))
        path.write_text(text, encoding="utf-8")
    return report, results


# --- CLI -------------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "grading", help="reference grader vs human grades (SAF unseen splits, Kraken, blind sets)",
        description="Without --dataset: SAF unseen_answers, SAF unseen_questions, Kraken and the "
        "blind sets (dev and test side by side). `--dataset blind --grader llm [--limit N]` "
        "measures the LLM grader of the configured endpoint on the blind sets (docs/evals.md).",
    )
    p.add_argument("--dataset", choices=["saf", "kraken", "blind"], default=None)
    p.add_argument("--split", default=None,
                   help="SAF split: unseen_answers or unseen_questions (default: both); blind "
                   "sets: dev or test (default: both)")
    p.add_argument("--grader", choices=[REFERENCE, LLM], default=REFERENCE,
                   help="the grader to measure; `llm` (the configured endpoint) on the blind "
                   "sets only, its report in evals/reports/grading_blind_llm.md")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="blind sets: grade a stratified sample of at most N answers per half "
                   "(fixed seed; every group, and every kind from N=11), for a slow model")
    p.add_argument("--no-write", action="store_true",
                   help="print only; write no run log or report")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    p.add_argument("--json", action="store_true", help="print the reports as JSON")
    p.set_defaults(func=run)


def _runs(dataset: str | None, split: str | None) -> list[tuple[str, str]]:
    if split == "training":
        raise InputError("SAF `training` is for fitting the calibration, not for evals")
    if dataset == "blind" or split in ("dev", "test"):
        if split not in (None, "dev", "test"):
            raise InputError(f"unknown split {split!r} (blind sets: dev, test)")
        return [("blind", split or "dev+test")]
    if split is not None and split not in ("unseen_answers", "unseen_questions", "v1"):
        raise InputError(f"unknown split {split!r} (SAF: unseen_answers, unseen_questions)")
    saf = [("saf", split)] if split and split != "v1" else [
        ("saf", "unseen_answers"), ("saf", "unseen_questions")]
    if dataset == "saf":
        return saf
    if dataset == "kraken":
        return [("kraken", "v1")]
    return saf + [("kraken", "v1"), ("blind", "dev+test")]


def _check_blind_only(args: argparse.Namespace, runs: list[tuple[str, str]]) -> None:
    """`--grader llm` and `--limit` measure the blind sets only."""
    other = [d for d, _ in runs if d != "blind"]
    if not other:
        return
    if args.grader != REFERENCE:
        raise InputError(f"--grader {args.grader} is measured on the blind sets only: add "
                         "`--dataset blind`")
    if args.limit is not None:
        raise InputError("--limit samples the blind sets only: add `--dataset blind`")


def _progress(split: str, done: int, total: int) -> None:
    """An LLM run takes minutes: a line now and then on stderr."""
    if done == total or done % 10 == 0:
        print(f"  llm grading {split}: {done}/{total}", file=sys.stderr, flush=True)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from evals import REPORTS_DIR, RUNS_DIR

    runs = _runs(args.dataset, args.split)
    _check_blind_only(args, runs)
    if args.grader == LLM:  # no endpoint: say so before loading anything
        from interviewer.grading.factory import resolve_grader

        resolve_grader(settings, LLM)
    from interviewer.packs.embeddings import MiniLM

    encoder = CachingEncoder(MiniLM.for_grading())  # shared: the runs embed overlapping texts
    missed = 0
    for dataset, split in runs:
        if dataset == "blind":
            from .blind import print_summary as print_blind
            from .blind import run_blind_eval

            blind = run_blind_eval(
                # typed: splits are checked by the runner's argparse choices
                settings, splits=tuple(split.split("+")), encoder=encoder,  # type: ignore[arg-type]
                runs_dir=None if args.no_write else RUNS_DIR,
                reports_dir=None if args.no_write else REPORTS_DIR, grader=args.grader,
                limit=args.limit, progress=_progress if args.grader == LLM else None)
            missed += sum(not ok for ok in blind.targets.values())
            if args.json:
                print(blind.model_dump_json(indent=2))
            else:
                print_blind(blind)
            continue
        report, _ = run_eval(
            settings, dataset, split, encoder=encoder,
            runs_dir=None if args.no_write else RUNS_DIR,
            reports_dir=None if args.no_write else REPORTS_DIR,
        )
        missed += sum(not ok for ok in report.targets.values())
        if args.json:
            print(report.model_dump_json(indent=2))
        else:
            print_summary(report)
    return 1 if args.check and missed else 0
