"""What the reference grader measures in an answer: the calibration's features, the key points
covered, and the question's reference texts embedded once (`Prepared`).

Pure over an `encode` function (the grader passes its cached encoder), so the same code grades in
the app and computes features for fitting the calibration.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from typing import NamedTuple, Protocol

import numpy as np
from pydantic import BaseModel, Field

from interviewer.core.grade import KeyPointHit
from interviewer.core.pack import Question
from interviewer.grading import features as fx
from interviewer.grading.reference import claims as cl
from interviewer.grading.reference.cues import load_cues
from interviewer.grading.reference.policy import ReferencePolicy
from interviewer.grading.reference.relations import load_relations, wrong_relations
from interviewer.grading.reference.substance import Substance, read_substance

FEATURES = [
    "cov_mean", "cov_frac", "cov_top", "cos_example", "lex_recall", "log_words", "len_ratio",
    "novelty", "q_sim",
    # what the answer says beyond its topic words (see `substance`); rates are per 100 words
    "absolutes", "hedges", "examples", "specificity", "evasion", "buzz", "red_flag",
    "platitude", "overclaim", "wrong_claim", "story", "behavioral", "conversational",
]


Encode = Callable[[list[str]], np.ndarray]


class Encoder(Protocol):
    """What the grader needs from an embedding model: L2-normalised rows, one per text."""

    def encode(self, texts: list[str]) -> np.ndarray: ...


# the section, topic and stage of a question made from a bare reference answer (no pack)
FREE_STANDING = "free-standing"


class AnswerFeatures(BaseModel):
    """The calibration's inputs for one answer, plus what the feedback is built from."""

    model_config = {"arbitrary_types_allowed": True}

    values: dict[str, float]
    non_answer: bool = False
    echo: bool = False
    term_list: bool = False
    words: int = 0
    sentences: list[str] = []
    key_points: list[KeyPointHit] = []
    misconceptions: list[tuple[str, str]] = []  # (answer sentence, misconception)
    contradictions: list[tuple[str, str]] = []  # (answer sentence, key point it inverts)
    # (answer sentence, what it binds wrongly): swapped terms, wrong kinds (relations lexicon)
    relations: list[tuple[str, str]] = []
    # statements far from every key point and example sentence: nothing to check them against
    unchecked: list[str] = []
    other_question: str | None = None  # the neighbouring question this answer fits instead
    # what the answer says beyond its topic words: judgement, evasion, jargon, story
    substance: Substance = Substance()
    # the whole answer's vector (pooled from its sentences), for the answer scorer
    whole: np.ndarray | None = Field(default=None, exclude=True, repr=False)

    def vector(self, names: list[str]) -> list[float]:
        return [self.values[n] for n in names]


class Prepared(BaseModel):
    """Embeddings of a question's fixed texts, computed once per question version."""

    model_config = {"arbitrary_types_allowed": True}

    key_points: list[str]
    kp: np.ndarray
    example: np.ndarray  # (d,)
    example_sents: np.ndarray  # (m, d)
    misconceptions: list[str]  # the claims
    mc: np.ndarray
    # the corrections' vectors: a right claim on a misconception's topic is near these
    fixes: np.ndarray
    fix_of: list[int] = []  # per row of `fixes`: the misconception it corrects
    # per misconception: its word trigrams that neither the example nor a key point uses
    mc_own: list[set[tuple[str, str, str]]] = []
    # per misconception: its content words that no right text (example, key points, corrections,
    # question) uses
    mc_words: list[set[str]] = []
    question: np.ndarray  # (d,)
    example_words: int
    bar: np.ndarray  # (k,) per key point: the similarity that covers it (see cover_bars)
    measured: np.ndarray  # (k,) bool: whether the point can be checked at all
    # the question's graded exemplars: whole-answer vectors (pooled as an answer's), centred on
    # their mean and renormalised, the mean itself, and their grades
    exemplars: np.ndarray | None = None  # (e, d)
    exemplar_mean: np.ndarray | None = None  # (d,)
    exemplar_nearest: np.ndarray | None = None  # (e, d) the pooled vectors, not centred
    exemplar_scores: np.ndarray | None = None  # (e,)
    exemplar_length: np.ndarray | None = None  # (e,) log(1 + words) of each exemplar


def slug_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def question_from_reference(
    question_text: str, reference_answer: str, *, question_id: str | None = None,
    policy: ReferencePolicy | None = None,
) -> Question:
    """A free-standing question (e.g. a SAF item): the reference answer is the example, and its
    sentences, merged down to the policy's maximum (eight), are the key points."""
    limit = (policy or ReferencePolicy()).limits.max_key_points
    sents = fx.split_sentences(reference_answer) or [reference_answer.strip()]
    points = list(sents)
    while len(points) > limit:  # merge the shortest neighbouring pair
        lengths = [len(points[i]) + len(points[i + 1]) for i in range(len(points) - 1)]
        i = int(np.argmin(lengths))
        points[i : i + 2] = [f"{points[i].rstrip()} {points[i + 1].lstrip()}"]
    return Question(
        id=question_id or "free-" + slug_hash(question_text + "\n" + reference_answer),
        section=FREE_STANDING,
        topic=FREE_STANDING,
        kind="technical",
        stages=[FREE_STANDING],
        question=question_text,
        intent="Answer as the reference answer does.",
        how_to_answer="Cover the points of the reference answer.",
        example_answer=reference_answer,
        key_points=points,
        provenance="source",
    )


def prepare(question: Question, encode: Encode, policy: ReferencePolicy) -> Prepared:
    """Embed a question's reference texts (example, question, key points, example sentences,
    misconceptions and their corrections) in one call."""
    fixed = _fixed(question, policy)
    points, ex_sents, mc_claims, owned = fixed.points, fixed.ex_sents, fixed.mc_claims, fixed.owned
    graded, ex_parts, texts = fixed.graded, fixed.ex_parts, fixed.reference
    emb_all = encode(fixed.all())
    emb = emb_all[: len(texts)]
    k, m, c = len(points), len(ex_sents), len(mc_claims)
    exemplars = mean = raw = None
    if ex_parts:
        rows, at = [], len(texts)
        for part in ex_parts:
            rows.append(pool(emb_all[at : at + len(part)], [len(fx.words(s)) for s in part]))
            at += len(part)
        # every answer to one question shares its topic: centring on the exemplars' mean leaves
        # what sets them apart (what they claim, how), which the grades follow
        raw = np.vstack(rows)
        mean = raw.mean(axis=0)
        exemplars = _unit_rows(raw - mean)
    bar, measured = cover_bars(question, emb[2 : 2 + k], emb[0], emb[2 + k : 2 + k + m], policy)
    return Prepared(
        bar=bar,
        measured=measured,
        key_points=points,
        example=emb[0],
        question=emb[1],
        kp=emb[2 : 2 + k],
        example_sents=emb[2 + k : 2 + k + m],
        misconceptions=mc_claims,
        mc=emb[2 + k + m : 2 + k + m + c],
        fixes=emb[2 + k + m + c :],
        fix_of=[j for j, _ in owned],
        mc_own=cl.own_trigrams(question),
        mc_words=cl.own_words(question),
        example_words=len(fx.words(question.example_answer)),
        exemplars=exemplars,
        exemplar_mean=mean,
        exemplar_nearest=raw,
        exemplar_scores=(np.array([score for _, score in graded], dtype=np.float32)
                         if exemplars is not None else None),
        exemplar_length=(np.log1p([len(fx.words(text)) for text, _ in graded]).astype(np.float32)
                         if exemplars is not None else None),
    )


class _Fixed(NamedTuple):
    """A question's texts `prepare` embeds, in its order: the reference texts (example,
    question, key points, example sentences, misconceptions, their corrections), then each
    exemplar's sentences, read as an answer's are (its vector is pooled from them)."""

    example: str
    question: str
    points: list[str]
    ex_sents: list[str]
    mc_claims: list[str]
    owned: list[tuple[int, str]]
    graded: list[tuple[str, int]]
    ex_parts: list[list[str]]

    @property
    def reference(self) -> list[str]:
        return [self.example, self.question, *self.points, *self.ex_sents, *self.mc_claims,
                *(t for _, t in self.owned)]

    def all(self) -> list[str]:
        return self.reference + [s for part in self.ex_parts for s in part]


def _fixed(question: Question, policy: ReferencePolicy) -> _Fixed:
    graded = exemplar_texts(question)
    return _Fixed(
        example=question.example_answer, question=question.question,
        points=list(question.key_points),
        ex_sents=fx.split_sentences(question.example_answer) or [question.example_answer],
        mc_claims=[m.claim for m in question.misconceptions],
        owned=cl.correction_claims(question), graded=graded,
        ex_parts=[answer_sentences(text, policy) for text, _ in graded])


def fixed_texts(question: Question, policy: ReferencePolicy) -> list[str]:
    """Every text `prepare` embeds for a question, in its order (what a store of question
    vectors is keyed by, and what a batch run embeds up front for it)."""
    return _fixed(question, policy).all()


def exemplar_texts(question: Question) -> list[tuple[str, int]]:
    """The graded answers the grader compares an answer with, and their grades."""
    return [(e.answer, e.score) for e in question.exemplars]


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    return rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12, None)


def answer_sentences(answer: str, policy: ReferencePolicy) -> list[str]:
    """The sentences an answer is read as (and its vector pooled from)."""
    return (fx.split_sentences(answer, min_words=1)[: policy.limits.max_sentences]
            or [answer.strip()])


def exemplar_grade(prep: Prepared, whole: np.ndarray, words: int, temperature: float,
                   length_penalty: float = 0.0) -> float | None:
    """The grades of the question's exemplars, weighted by how close each is to the answer
    (a softmax over cosines: the nearest few decide), an exemplar of another length counting as
    farther (`length_penalty` per unit of log length: a one-line answer reads like the thin
    exemplars, a long wrong one like the long wrong ones, not the other way round). None when
    the answer is closer to the guide's example answer than to every exemplar: it restates the
    example (whole or in part), which the exemplars, all in their own words, do not stand for,
    and the reference checks read it better (the example itself fell from 4.95 to 3.78 when
    blended)."""
    assert prep.exemplars is not None and prep.exemplar_mean is not None
    assert prep.exemplar_scores is not None and prep.exemplar_nearest is not None
    assert prep.exemplar_length is not None
    if float(prep.example @ whole) >= float((prep.exemplar_nearest @ whole).max()):
        return None
    sims = prep.exemplars @ _unit_rows((whole - prep.exemplar_mean)[None, :])[0]
    sims = sims - length_penalty * np.abs(prep.exemplar_length - math.log1p(max(words, 1)))
    w = np.exp((sims - sims.max()) / temperature)
    return float(w @ prep.exemplar_scores / w.sum())


def answer_features(
    question: Question, prep: Prepared, answer: str, encode: Encode, policy: ReferencePolicy,
    other_question: Callable[[np.ndarray], str | None],
) -> AnswerFeatures:
    """The calibration's features for one answer and what the card shows about it.
    `other_question` maps the answer's vector to the neighbouring question it fits instead."""
    if fx.is_non_answer(answer):
        return non_answer(prep)
    sents = answer_sentences(answer, policy)
    # Only the sentences are encoded: the whole-answer vector is pooled from them (encoding
    # the answer again cost as many tokens as all its sentences together).
    sent_emb = encode(sents)
    whole = pool(sent_emb, [len(fx.words(s)) for s in sents])
    parts, part_emb = cl.claim_parts(prep, sents, sent_emb, encode, policy)
    cands = np.vstack([sent_emb, whole[None, :]])  # sentences and the answer as a whole
    cand_text = [*sents, answer.strip()]
    sim = prep.kp @ cands.T  # (k, s+1)
    cov = sim.max(axis=1)
    mistakes = cl.named_inversions(
        prep, cl.misconceptions(prep, parts, part_emb, policy),
        cl.contradictions(prep, sents, sim[:, :-1], policy), sents, sent_emb, policy)
    # a wrong claim covers nothing: the card must not list it as a point covered (the
    # calibration's features keep every sentence; it was fitted on them)
    shown = cl.without_wrong(sim, sents, [w for pairs in mistakes.values() for w, _ in pairs])
    # a key point said inside a list sentence ("..., monitor drift, and red-team the model")
    # is covered by that part of it (the card's reading; the calibration keeps its features)
    # (only parts that share a word with a checkable point still uncovered: each part costs
    # encoder time)
    still_open = [set(fx.content_words(prep.key_points[i])) for i in range(len(prep.key_points))
                  if prep.measured[i] and shown[i].max() < prep.bar[i]]
    items = [(t, src) for t, src in list_items(sents, policy.limits.max_list_items)
             if any(o & set(fx.content_words(t)) for o in still_open)] if still_open else []
    if items:
        wrong = [w for pairs in mistakes.values() for w, _ in pairs]
        ok = [t for t, src in items if not any(w in src for w in wrong)]
        if ok:
            shown = np.hstack([shown, prep.kp @ encode(ok).T])
            cand_text = [*cand_text, *ok]
    cov_shown = shown.max(axis=1)
    # the evidence quoted for a point is the part of the answer that shows it best, never the
    # whole answer (pooled, the answer can edge out every sentence and was quoted from its start)
    whole_col = len(sents)
    parts_only = shown.copy()
    parts_only[:, whole_col] = -np.inf
    best = parts_only.argmax(axis=1)
    ref = np.vstack([prep.kp, prep.example_sents]) if len(prep.kp) else prep.example_sents
    near = (ref @ sent_emb.T).max(axis=0) if len(ref) else np.zeros(len(sents))
    unchecked = [s for s, n in zip(sents, near, strict=True)
                 if n < policy.uncertainty.unchecked_below and len(fx.words(s)) >= 4]
    hits = []
    for i, point in enumerate(prep.key_points):
        j = int(best[i])
        covered = bool(prep.measured[i] and cov_shown[i] >= prep.bar[i])
        hits.append(KeyPointHit(
            point=point, covered=covered, similarity=round(float(cov_shown[i]), 3),
            evidence=short(cand_text[j]) if covered else None,
            measured=bool(prep.measured[i]),
        ))
    n_words = len(fx.words(answer))
    ex_words = max(prep.example_words, 1)
    top = np.sort(cov)[::-1][: max(1, math.ceil(len(cov) / 2))]
    q_sim = float(whole @ prep.question)
    nov = fx.novelty(answer, question.question)
    values = {
        "cov_mean": float(cov.mean()),
        "cov_frac": float((cov >= policy.cover.threshold).mean()),
        "cov_top": float(top.mean()),
        "cos_example": float(whole @ prep.example),
        "lex_recall": fx.lexical_recall(answer, question.example_answer, question.question),
        "log_words": math.log1p(n_words),
        "len_ratio": math.log((1 + n_words) / (1 + ex_words)),
        "novelty": nov,
        "q_sim": q_sim,
    }
    substance = read_substance(
        question, sents, values["cov_frac"],
        load_cues(policy.substance.cues, policy.substance.reject_window), policy)
    flagged = {s for pairs in mistakes.values() for s, _ in pairs}
    relations = [(r.sentence, r.problem) for r in
                 wrong_relations(load_relations(policy.relations), sents)
                 if r.sentence not in flagged]
    values.update(substance_values(question, substance, sents, bool(
        mistakes["misconceptions"] or mistakes["contradictions"] or relations),
        policy.substance.rate_cap))
    return AnswerFeatures(
        values=values,
        words=n_words,
        sentences=sents,
        key_points=hits,
        echo=nov < policy.echo.novelty_below and q_sim > policy.echo.q_sim_above,
        term_list=fx.is_term_list(answer),
        misconceptions=mistakes["misconceptions"],
        contradictions=mistakes["contradictions"],
        other_question=other_question(whole),
        substance=substance,
        relations=relations,
        unchecked=unchecked,
        whole=whole,
    )


def substance_values(question: Question, sub: Substance, sents: list[str],
                     wrong: bool, rate_cap: float) -> dict[str, float]:
    """The substance features: cue rates and counts, the story's parts (behavioral questions)
    and the question's kind, for a calibration that reads them."""
    c = sub.cues
    story = 0.0
    if question.kind == "behavioral":
        story = (c.story.situation + min(c.story.action, 3) / 3 + c.story.result) / 3
    return {
        "absolutes": min(rate_cap, c.per_100_words(c.absolutes)),
        "hedges": min(rate_cap, c.per_100_words(c.hedges)),
        "examples": min(rate_cap, c.per_100_words(c.examples)),
        "specificity": fx.specificity(" ".join(sents)),
        "evasion": float(min(3, len(c.evasion))),
        "buzz": c.buzz_density,
        "red_flag": float(bool(c.red_flags)),
        "platitude": float(min(3, len(c.platitudes))),
        "overclaim": float(min(3, len(c.overclaims))),
        "wrong_claim": float(wrong),
        "story": story,
        "behavioral": float(question.kind == "behavioral"),
        "conversational": float(question.kind == "conversational"),
    }


_ITEM_SPLIT = re.compile(r",\s*(?:and\s+|or\s+)?|;\s*|\s+and\s+(?=(?:i|we|then)\b)", re.IGNORECASE)


def list_items(sents: list[str], limit: int) -> list[tuple[str, str]]:
    """The parts of the answer's list sentences, alone and two by two, each with its sentence:
    where a key point is stated inside a list."""
    out: list[tuple[str, str]] = []
    for s in sents:
        parts = [p.strip(" .") for p in _ITEM_SPLIT.split(s)]
        parts = [p for p in parts if len(fx.words(p)) >= 2]
        if len(parts) < 3:
            continue  # a list has three parts or more; two are a sentence's clauses
        pieces = parts + [f"{a}, {b}" for a, b in zip(parts, parts[1:], strict=False)]
        out += [(p, s) for p in pieces]
    return list(dict.fromkeys(out))[:limit]


def texts_to_encode(question: Question, answer: str, policy: ReferencePolicy) -> list[str]:
    """Every text grading this answer will embed, so a batch run can embed them up front
    (sorted by length, far faster than one answer at a time)."""
    return fixed_texts(question, policy) + answer_texts(question, answer, policy)


def answer_texts(question: Question, answer: str, policy: ReferencePolicy) -> list[str]:
    """The texts of one answer that grading it embeds."""
    out: list[str] = []
    clean = fx.sanitize(answer)
    for text in {clean.normalised, clean.text}:
        if not fx.is_non_answer(text):
            sents = answer_sentences(text, policy)
            out += sents
            out += [t for t, _ in list_items(sents, policy.limits.max_list_items)]
            if question.misconceptions:  # a superset: only some sentences get split
                out += fx.claims(sents)
    return out


def cover_bars(question: Question, kp: np.ndarray, example: np.ndarray,
               example_sents: np.ndarray, policy: ReferencePolicy) -> tuple[np.ndarray, np.ndarray]:
    """Per key point: the similarity that counts as covering it, and whether it can be checked
    at all. Key points restate the example answer in other words, so the example itself often
    stays under the cover threshold: a point is covered at `cover.relative` of what the example
    reaches, when that is lower. A point the example reaches less than `cover.measurable` cannot
    be checked from embeddings; nor can a conversational or behavioral point that the example does
    not cover outright ("gives a specific situation": any story comes as near, a good one or not;
    measured on the QA answers of 2026-11-30)."""
    threshold = policy.cover.threshold
    ex = np.vstack([example_sents, example[None, :]]) if len(example_sents) else example[None, :]
    reach = (kp @ ex.T).max(axis=1) if len(kp) else np.zeros(0)
    if question.kind in ("behavioral", "conversational"):
        return np.full(len(reach), threshold), reach >= threshold
    return (np.minimum(threshold, policy.cover.relative * reach),
            reach >= policy.cover.measurable)


def non_answer(prep: Prepared) -> AnswerFeatures:
    return AnswerFeatures(
        values={n: 0.0 for n in FEATURES},
        non_answer=True,
        key_points=[KeyPointHit(point=p, covered=False, measured=bool(m))
                    for p, m in zip(prep.key_points, prep.measured, strict=True)],
    )


def pool(rows: np.ndarray, weights: list[int]) -> np.ndarray:
    """The whole answer's vector: sentence vectors averaged by length, then L2-normalised
    (close to encoding the answer itself, since the encoder mean-pools its tokens)."""
    w = np.asarray(weights, dtype=np.float32)[:, None]
    v = (rows * np.clip(w, 1.0, None)).sum(axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def short(text: str, limit: int = 140) -> str:
    """Text quoted on the card, on one line and cut to `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
