"""Wrong claims in an answer: the question's listed misconceptions (asserted, not rebutted) and
key points paraphrased with a term flipped to its opposite.

Embeddings measure topic more than stance, so every similarity rule here is paired with a check
on the words (the misconception's own trigrams and words, negation, disowning, opposites).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from interviewer.core.pack import Question
from interviewer.grading import features as fx
from interviewer.grading.reference.policy import ReferencePolicy

if TYPE_CHECKING:
    from interviewer.grading.reference.features import Encode, Prepared

NEGATION = re.compile(
    r"\b(not|no|never|isn't|aren't|doesn't|don't|didn't|cannot|can't|won't|neither|nor|"
    r"rather than|instead of|misconception|myth|mistake|wrong to|incorrect|false that|"
    r"common trap|pitfall|fallacy)\b|n't\b",
    re.IGNORECASE,
)
# Words that disown what follows ("a common misreading is that ...", "I don't accept the idea
# that ..."): they rebut a claim even when the claim itself holds a negation.
DISOWN = re.compile(
    r"\b(misconception|myth|mistaken?|misreading|misunderstanding|misconceived|fallacy|"
    r"wrong to|incorrect|false that|common trap|pitfall|(?:do not|don't|doesn't) accept|"
    r"disagree|contrary to|(?:is not|isn't) true|not the case)\b",
    re.IGNORECASE,
)
# A claim with one of these says the opposite of a sentence without any ("without more data" vs
# "more data")...
POLARITY = re.compile(r"\b(not|no|never|without|cannot|can't|won't|n't|none|nothing)\b|n't\b",
                      re.IGNORECASE)
# ... and a sweeping claim is not made by a hedged sentence ("can look rosy" vs "is always best").
ABSOLUTE = re.compile(r"\b(always|never|only|all|any|every|cannot|by itself|on its own|alone|"
                      r"guarantees?|completely|fully|same)\b", re.IGNORECASE)
# Opposites that flip a key point's meaning while keeping its words ("labeled" -> "unlabeled").
OPPOSITES = [
    ("labeled", "unlabeled"), ("labelled", "unlabelled"), ("supervised", "unsupervised"),
    ("increase", "decrease"), ("increases", "decreases"), ("increase", "reduce"),
    ("increases", "reduces"), ("higher", "lower"), ("larger", "smaller"), ("more", "less"),
    ("positive", "negative"), ("true", "false"), ("reject", "accept"), ("overfitting",
    "underfitting"), ("bias", "variance"), ("type i", "type ii"), ("before", "after"),
    ("simpler", "complex"), ("always", "never"), ("precision", "recall"), ("mae", "rmse"),
    ("above", "below"), ("classification", "regression"), ("sample", "population"),
]
# opposites that qualify the next word: flipped only when they qualify the same one
COMPARATIVES = {("higher", "lower"), ("larger", "smaller"), ("more", "less")}


def claim_parts(
    prep: Prepared, sents: list[str], sent_emb: np.ndarray, encode: Encode,
    policy: ReferencePolicy,
) -> tuple[list[str], np.ndarray | None]:
    """Sentences and, for those already near a misconception, their clauses: a clause of a
    sentence far from every misconception is not near one either, so it is not encoded."""
    if not prep.misconceptions:
        return [], None
    near = (sent_emb @ prep.mc.T).max(axis=1) >= policy.misconception.clause_gate
    parts = fx.claims([s for s, n in zip(sents, near, strict=True) if n])
    known = dict(zip(sents, sent_emb, strict=True))
    extra = [c for c in parts if c not in known]
    if extra:
        known.update(zip(extra, encode(extra), strict=True))
    # every sentence still counts as a claim on its own (clauses only add to them)
    parts = list(dict.fromkeys([*(s for s in sents if len(fx.words(s)) >= 3), *parts]))
    if not parts:
        return [], None
    return parts, np.array([known[c] for c in parts])


def misconceptions(
    prep: Prepared, parts: list[str], emb: np.ndarray | None, policy: ReferencePolicy,
) -> list[tuple[str, str]]:
    """Claims that assert a known misconception: worded like it (its own word trigrams), or
    close to it, clearly closer to it than to anything the key points or the example say (or,
    with a correction, clearly closer to it than to the correction and closer than to the
    rest), closer to it than to its correction, and using at least one of its own words. A
    claim that negates or disowns the misconception rebuts it.

    Embeddings measure topic more than stance: a right claim on a misconception's topic is as
    near the claim as a wrong one, and on `rebuttals_v1` the similarity rule alone flagged 18 of
    73 right answers. The correction, own-word and disowning checks bring that to 1 (3 with
    the opposites check), and 13 rather than 14 of the 24 wrong-on-purpose answers of the
    Kraken set are still named. Chosen on those same sets: the numbers are optimistic."""
    if not prep.misconceptions or not parts or emb is None:
        return []
    p = policy.misconception
    mc_sim = emb @ prep.mc.T  # (c, n_mc)
    support = np.vstack([prep.kp, prep.example_sents]) @ emb.T  # (k+m, c)
    fix_sim = prep.fixes @ emb.T  # (f, c)
    found: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, sent in enumerate(parts):
        j = int(mc_sim[i].argmax())
        mc_text = prep.misconceptions[j]
        s_mc, s_ok = float(mc_sim[i, j]), float(support[:, i].max())
        if s_mc < p.sim:
            continue
        stated = states(sent, prep.mc_own[j], policy)
        if not stated:
            own_fix = [float(fix_sim[r, i]) for r, o in enumerate(prep.fix_of) if o == j]
            # clearly nearer the claim than what is true about it: a paraphrase of the example's
            # topic that takes the wrong side ("any dataset becomes normally distributed")
            apart = bool(own_fix) and s_mc - max(own_fix) >= p.margin and s_mc > s_ok
            if s_mc - s_ok < p.margin and not apart:
                continue
            if own_fix and max(own_fix) >= s_mc:
                continue  # nearer what is true than the wrong claim
            if prep.mc_words[j] and not prep.mc_words[j] & set(fx.content_words(sent)):
                continue  # near in embedding space only: none of the claim's own words
        if NEGATION.search(sent) and not NEGATION.search(mc_text):
            continue  # "a p-value is NOT the probability that H0 is true" rebuts it
        if not stated:
            if POLARITY.search(mc_text) and not POLARITY.search(sent):
                continue  # "loading can execute code" vs the claim "... cannot run code"
            if ABSOLUTE.search(mc_text) and not ABSOLUTE.search(sent):
                continue  # "ROC-AUC can look rosy" does not say "ROC-AUC is always best"
        if DISOWN.search(sent) and not DISOWN.search(mc_text):
            continue
        if mc_text in seen or any(sent in s for s, _ in found):
            continue
        seen.add(mc_text)
        found.append((sent, mc_text))
    return found


def own_trigrams(question: Question) -> list[set[tuple[str, str, str]]]:
    right = fx.trigrams(" ".join([question.example_answer, *question.key_points,
                                  *(m.correction for m in question.misconceptions)]))
    return [fx.trigrams(m.claim) - right for m in question.misconceptions]


def own_words(question: Question) -> list[set[str]]:
    right = set(fx.content_words(" ".join([
        question.question, question.example_answer, *question.key_points,
        *(m.correction for m in question.misconceptions)])))
    return [set(fx.content_words(m.claim)) - right for m in question.misconceptions]


def correction_claims(question: Question) -> list[tuple[int, str]]:
    """The corrections' sentences, each with the misconception it corrects. (Their clauses too
    cost 50% more to prepare a question and changed no result on `rebuttals_v1`.)"""
    return [(j, c) for j, m in enumerate(question.misconceptions) if m.correction.strip()
            for c in fx.split_sentences(m.correction)]


def misconception_texts(question: Question) -> list[str]:
    return [*(m.claim for m in question.misconceptions),
            *(c for _, c in correction_claims(question))]


def correction(question: Question, claim: str) -> str:
    return next((m.correction.strip() for m in question.misconceptions if m.claim == claim), "")


def states(sentence: str, own: set[tuple[str, str, str]], policy: ReferencePolicy) -> bool:
    """The sentence uses the misconception's own wording: at least half (and two) of the word
    trigrams that only the misconception has. Embeddings put "the probability that the null
    hypothesis is true" next to the example's "the probability of the data if the null
    hypothesis is true"; the words tell them apart."""
    p = policy.misconception
    if len(own) < p.min_own_trigrams:
        return False
    hits = len(own & fx.trigrams(sentence))
    return hits >= p.min_own_trigrams and hits >= p.own_trigram_share * len(own)


def contradictions(
    prep: Prepared, sents: list[str], sim: np.ndarray, policy: ReferencePolicy,
) -> list[tuple[str, str]]:
    """Sentences that paraphrase a key point with one of its terms flipped to its opposite."""
    found: list[tuple[str, str]] = []
    if sim.size == 0:
        return found
    for i, point in enumerate(prep.key_points):
        j = int(sim[i].argmax())
        if sim[i, j] < policy.contradiction.sim:
            continue
        sent = sents[j]
        if not flipped(point, sent):
            continue
        # a sentence that paraphrases another key point at least as well, without flipping it,
        # is that point's (right) paraphrase: "Type II is a false negative" vs the Type I point
        if any(sim[o, j] >= sim[i, j] and not flipped(prep.key_points[o], sent)
               for o in range(len(prep.key_points)) if o != i):
            continue
        if all(sent != s for s, _ in found):
            found.append((sent, point))
    return found


def without_wrong(sim: np.ndarray, sents: list[str], wrong: list[str]) -> np.ndarray:
    """`sim` (key points x sentences + the whole answer) with the sentences that hold a wrong
    claim, and then the whole answer too, unable to cover anything."""
    bad = [k for k, s in enumerate(sents) if any(w in s for w in wrong)]
    if not bad:
        return sim
    out = sim.copy()
    out[:, [*bad, sim.shape[1] - 1]] = -1.0
    return out


def named_inversions(
    prep: Prepared, found: list[tuple[str, str]], inverted: list[tuple[str, str]],
    sents: list[str], sent_emb: np.ndarray, policy: ReferencePolicy,
) -> dict[str, list[tuple[str, str]]]:
    """An inverted key point that a listed misconception inverts the same way is that
    misconception: named, corrected and capped like one. "A Type I error is a false negative"
    sits as near the Type II key point as the claim, so only the flip tells them apart, and the
    flip alone knows no correction."""
    named = {m for _, m in found}
    rest: list[tuple[str, str]] = []
    for sent, point in inverted:
        if any(sent == s for s, _ in found):
            continue
        i = sents.index(sent)
        sims = sent_emb[i] @ prep.mc.T if len(prep.misconceptions) else np.zeros(0)
        match = [(float(sims[j]), m) for j, m in enumerate(prep.misconceptions)
                 if sims[j] >= policy.misconception.sim and m not in named and flipped(point, m)]
        if match:
            claim = max(match)[1]
            named.add(claim)
            found = [*found, (sent, claim)]
        else:
            rest.append((sent, point))
    return {"misconceptions": found, "contradictions": rest}


def _has(term: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(term)}\b", text) is not None


def _after(term: str, text: str) -> set[str]:
    return set(re.findall(rf"\b{re.escape(term)}\s+([a-z0-9-]+)", text))


def flipped(point: str, sent: str) -> bool:
    p, s = point.lower(), sent.lower()
    for a, b in OPPOSITES:
        for x, y in ((a, b), (b, a)):
            if _has(x, p) and not _has(y, p) and _has(y, s) and not _has(x, s):
                # a comparative flips only what it qualifies: "more optimal" vs "less tuning"
                # says nothing against the point
                if (a, b) in COMPARATIVES and not _after(x, p) & _after(y, s):
                    continue
                return True
    return False
