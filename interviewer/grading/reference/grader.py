"""The reference grader itself: embeddings cached, features measured, the calibration and the
policy's caps applied, the card written."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

import numpy as np

from interviewer.core.agents import REFERENCE
from interviewer.core.grade import Grade, GradeProvenance, GradeRequest, criteria_for
from interviewer.core.pack import Question
from interviewer.grading import features as fx
from interviewer.grading.reference import feedback as fb
from interviewer.grading.reference.calibration import Calibration, load_calibration
from interviewer.grading.reference.checks import unverified
from interviewer.grading.reference.features import (
    FREE_STANDING,
    AnswerFeatures,
    Encoder,
    Prepared,
    answer_features,
    answer_texts,
    exemplar_grade,
    fixed_texts,
    prepare,
    slug_hash,
    texts_to_encode,
)
from interviewer.grading.reference.policy import ReferencePolicy
from interviewer.grading.reference.scorer import Scorer
from interviewer.grading.reference.vectors import PruneReport, StoredVectors

VECTOR_CACHE = 4096  # answer texts/sentences kept embedded (about 6 MB); speed only


class ReferenceGrader:
    """Implements the `Grader` protocol without any LLM."""

    name = REFERENCE

    def __init__(
        self, encoder: Encoder, calibration: Calibration | None = None, *, cache_size: int = 256,
        policy: ReferencePolicy | None = None, scorer: Scorer | None = None,
        stored_vectors: StoredVectors | None = None,
    ) -> None:
        self.encoder = encoder
        # where questions' fixed texts' vectors are kept between processes: by default beside the
        # derived models, for an encoder that says what its vectors depend on (a fake does not)
        fingerprint = getattr(encoder, "fingerprint", None)
        if stored_vectors is None and isinstance(fingerprint, str):
            stored_vectors = StoredVectors.beside_models(fingerprint)
        self.stored = stored_vectors
        # the encoder's name, for the grade's provenance (fakes in tests have none)
        self.model_name: str = getattr(encoder, "name", "") or "all-MiniLM-L6-v2-int8"
        self.calibration = calibration or load_calibration()
        # the calibration's own policy unless one is given (trying a change before refitting)
        self.policy = policy or self.calibration.policy
        # the answer scorer the policy names (loaded on first use), unless one is given
        self._scorer = scorer
        self._no_scorer = False  # the policy's scorer does not read this encoder's vectors
        self._cache: OrderedDict[str, Prepared] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        # Sentences recur between the raw and sanitised passes of one answer, and across follow-ups.
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    # --- public API ---------------------------------------------------------------------------

    def grade(self, request: GradeRequest) -> Grade:
        started = time.perf_counter()
        question = request.question
        clean = fx.sanitize(fx.drop_copied(request.answer, request.asked))
        feats = self.features(question, clean.text, request.neighbours)
        # the scorer reads the cleaned text only: text addressed to the grader never reaches it
        model = self.model_grade(question, feats)
        nearest = self.exemplar_grade(question, feats)
        score = self._overall(question, feats, model, nearest)
        if clean.changed:
            raw_feats = self.features(question, clean.normalised, request.neighbours)
            raw_score = self._overall(question, raw_feats, model,
                                      self.exemplar_grade(question, raw_feats))
            # never let removal help: keep the lower grade, and mark the attempt down
            score = max(1.0, min(score, raw_score) - self.policy.caps.injection_penalty)
        grade = fb.build_grade(question, feats, score, clean, self.policy, GradeProvenance(
            grader=REFERENCE, model=self.model_name,
            calibration_version=self.calibration.version, policy_version=self.policy.version,
            scorer_version=self.scorer.version if self.scorer and model is not None else None,
        ), model_grade=model, exemplar_grade=nearest)
        grade.provenance.duration_ms = (time.perf_counter() - started) * 1000.0
        return grade

    def features(self, question: Question, answer: str,
                 neighbours: list[Question] | None = None) -> AnswerFeatures:
        """The calibration's features for one answer (also used to fit the calibration)."""
        prep = self._prepare(question)
        return answer_features(
            question, prep, answer, self._encode, self.policy,
            lambda whole: self._other_question(whole, prep, neighbours or []))

    @property
    def scorer(self) -> Scorer | None:
        """The answer scorer the policy names, loaded once (None when the policy uses none)."""
        # a margin of 4 or more never caps on the 1-5 scale: the scorer would change nothing
        used = self.policy.scorer.weight > 0 or self.policy.scorer.cap_margin < 4
        if self._scorer is None and self.policy.scorer.model and used and not self._no_scorer:
            from interviewer.grading.reference.scorer import LinearScorer

            shipped = LinearScorer.shipped(self.policy.scorer.model)
            # fitted on one encoder's vectors, it means nothing on another's (a test's fake)
            if shipped.reads(getattr(self.encoder, "name", "") or ""):
                self._scorer = shipped
            else:
                self._no_scorer = True
        return self._scorer

    def model_grade(self, question: Question, feats: AnswerFeatures) -> float | None:
        """The scorer's grade on the 1-5 scale, or None (no scorer, or nothing to read)."""
        scorer = self.scorer
        inputs = self.scorer_inputs(question, feats) if scorer is not None else None
        if scorer is None or inputs is None:
            return None
        return 1.0 + 4.0 * scorer.score(*inputs)

    def exemplar_grade(self, question: Question, feats: AnswerFeatures) -> float | None:
        """What the question's graded exemplars nearest this answer were graded (1-5), or None
        (too few exemplars, weight 0, or nothing of the candidate's own to read: no answer, the
        question restated, a bare list of terms; their caps stand)."""
        p = self.policy.exemplars
        if (p.weight <= 0 or len(question.exemplars) < p.min_count or feats.non_answer
                or feats.echo or feats.term_list or feats.whole is None):
            return None
        return exemplar_grade(self._prepare(question), feats.whole, feats.words, p.temperature,
                              p.length_penalty)

    def scorer_inputs(self, question: Question, feats: AnswerFeatures,
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int] | None:
        """What the answer scorer reads: the answer's, the reference's and the question's
        vectors and the answer's length (also what the scorer is fitted on)."""
        if feats.non_answer or feats.whole is None:
            return None
        if question.section == FREE_STANDING and not self.policy.scorer.free_standing:
            return None
        prep = self._prepare(question)
        return feats.whole, prep.example, prep.question, feats.words

    def texts_to_encode(self, question: Question, answer: str) -> list[str]:
        """Every text grading this answer will embed (for batch runs to embed up front)."""
        if self.stored is None:
            return texts_to_encode(question, answer, self.policy)
        # the question's own texts come from the disk store (or are embedded now and kept
        # there): a batch run then embeds only the answers' (the Kraken own-set eval spent 51
        # of its 55 s embedding 78 exemplars a question the store already held)
        self._prepare(question)
        return answer_texts(question, answer, self.policy)

    def prepare(self, questions: list[Question]) -> None:
        """Embed these questions' reference texts now (say, when a question is asked): the first
        answer to a question otherwise pays for them, several times an answer's own cost."""
        for question in questions:
            self._prepare(question)

    def stored_key(self, question: Question) -> str | None:
        """The name of this question's file in the vector store (None: the grader keeps none)."""
        if self.stored is None:
            return None
        return self.stored.key(fixed_texts(question, self.policy))

    def prune_stored(self, questions: list[Question]) -> PruneReport | None:
        """Drop stored vectors none of these questions uses and nobody read lately (see
        `StoredVectors.prune`); None when the grader keeps no store."""
        if self.stored is None:
            return None
        return self.stored.prune({k for q in questions if (k := self.stored_key(q))})

    # --- internals ----------------------------------------------------------------------------

    def _other_question(self, whole: np.ndarray, prep: Prepared,
                        neighbours: list[Question]) -> str | None:
        """The neighbour whose example answer this answer is clearly closer to than its own.
        Only the neighbours' example answers are embedded (once each, then cached by text)."""
        if not neighbours:
            return None
        examples = self._encode([n.example_answer for n in neighbours])
        sims = examples @ whole
        best = int(sims.argmax())
        if float(sims[best]) - float(whole @ prep.example) >= self.policy.other_question.gap:
            return neighbours[best].question
        return None

    def _encode(self, texts: list[str]) -> np.ndarray:
        """Encode what is not cached yet in one call (the encoder batches by length itself)."""
        # the cached rows are taken before new ones go in: adding may evict one of them (a
        # KeyError once the cache was full, seen refitting on SAF training)
        with self._lock:
            found = {t: self._vectors[t] for t in texts if t in self._vectors}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            rows = self.encoder.encode(missing)
            found.update(zip(missing, rows, strict=True))
            with self._lock:
                for text, row in zip(missing, rows, strict=True):
                    self._vectors[text] = row
                while len(self._vectors) > VECTOR_CACHE:
                    self._vectors.popitem(last=False)
        return np.vstack([found[t] for t in texts])

    def _prepare(self, question: Question) -> Prepared:
        # exemplars are not in the dump (they stay out of pack.yaml): their texts join the key
        key = (f"{question.id}:{slug_hash(question.model_dump_json())}:"
               f"{slug_hash(''.join(e.answer for e in question.exemplars))}")
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        prep = prepare(question, self._encode_fixed, self.policy)
        with self._lock:
            self._cache[key] = prep
            # a neighbour's example is looked up by its text (see _other_question)
            self._vectors[question.example_answer] = prep.example
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return prep

    def _encode_fixed(self, texts: list[str]) -> np.ndarray:
        """A question's reference texts and exemplars, from disk when the grader keeps them."""
        if self.stored is None:
            return self.encoder.encode(texts)
        return self.stored.encode(texts, self.encoder.encode)

    def _overall(self, question: Question, feats: AnswerFeatures,
                 model: float | None = None, exemplars: float | None = None) -> float:
        if feats.non_answer:
            return 1.0
        p = self.policy
        score = self.calibration.score(feats.vector(self.calibration.features))
        if model is not None:
            score = (1.0 - p.scorer.weight) * score + p.scorer.weight * model
            score = min(score, model + p.scorer.cap_margin)
        if question.kind in p.blend.kinds:
            crit = fb.criteria(question, feats, score, p)
            weights = [c.weight for c in criteria_for(question)]
            rubric = sum(w * c.score for w, c in zip(weights, crit, strict=True)) / sum(weights)
            score = p.blend.model_weight * score + (1.0 - p.blend.model_weight) * rubric
        rel = max(feats.values["q_sim"], feats.values["cos_example"], feats.values["cov_mean"])
        high = p.relevance.story_high if question.kind in p.substance.story_kinds \
            else p.relevance.high
        ramp = (rel - p.relevance.low) / (high - p.relevance.low)
        score = min(score, 1.0 + 4.0 * min(1.0, max(0.0, ramp)))
        d = p.depth
        short = (feats.values["len_ratio"] - d.low_ratio) / (d.high_ratio - d.low_ratio)
        score = min(score, d.low_cap + (5.0 - d.low_cap) * min(1.0, max(0.0, short)))
        claims = self._claim_cap(feats)
        score = min(score, claims, feats.substance.cap)
        if feats.other_question:
            score = min(score, p.other_question.cap)
        if unverified(question, feats) and question.provenance in p.uncertainty.cap_provenances:
            score = min(score, p.uncertainty.unverified_cap)
        if exemplars is not None:
            w = p.exemplars.weight
            # the exemplars may lower a capped grade, never lift it over a wrong claim's cap;
            # the cue lexicons' caps (judgement, evasion, jargon) and another question's they
            # may lift when the answer reads like exemplars graded higher (on the blind dev
            # half holding those too cost 0.01 of Spearman: the cues misfire now and then)
            blended = p.exemplars.rescale((1.0 - w) * score + w * exemplars)
            # what the checks verified bounds how far the exemplars pull it down (they read
            # swapped terms and right ones alike)
            if score >= p.exemplars.verified_from:
                blended = max(blended, score - p.exemplars.max_pull)
            score = min(blended, claims)
        return float(min(5.0, max(1.0, score)))

    def _claim_cap(self, feats: AnswerFeatures) -> float:
        """The lowest cap a wrong claim quoted on the card sets (a misconception, an inverted
        key point, a swapped term), or the answer's saying nothing of its own does (the question
        restated, a bare list of terms); 5 when none."""
        p = self.policy
        caps = [p.echo.cap] if feats.echo else []
        caps += [p.caps.term_list] if feats.term_list else []
        caps += [p.misconception.cap] if feats.misconceptions else []
        caps += [p.contradiction.cap] if feats.contradictions else []
        caps += [p.relations.cap] if feats.relations else []
        return min([5.0, *caps])
