"""Every number the reference grader decides with, in one versioned model.

The policy is saved inside the calibration file (the calibration's `cov_frac` feature depends on
the cover threshold, so a fit belongs to one policy), its version goes into each grade's
provenance, and the fit report lists it field by field from the descriptions below: change a
number here, bump `version`, refit or re-save the calibration, and the report follows.

Not here: the calibration's fitted weights (the calibration), the 1-5 scale itself, the text cue
patterns of `interviewer.grading.features`, and cache sizes (they change speed, never a grade).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator

# p3: the answer scorer's part (s1 measured, not used: weight 0, no cap); p4: graded exemplars;
# p5: exemplars of the answer's own length count most, a larger share, and the blend's scale;
# p6: 102 exemplars an authored Kraken question, a larger share again and the scale refitted
POLICY_VERSION = "p6"
# the grades at which `ExemplarPolicy.scale` is given (1, 1.5, ..., 5)
SCALE_KNOTS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LimitsPolicy(_Part):
    max_sentences: int = Field(default=40, description="answer sentences read at most")
    max_list_items: int = Field(
        default=24,
        description="list items (and neighbouring pairs) read for key-point cover at most")
    max_key_points: int = Field(
        default=8,
        description="a free-standing question's reference sentences are merged down to this "
        "many key points")


class CoverPolicy(_Part):
    threshold: float = Field(
        default=0.55, description="cosine at which an answer sentence covers a key point (and the "
        "`cov_frac` feature's cut-off)")
    relative: float = Field(
        default=0.9,
        description="a key point is also covered at this share of what the example answer "
        "itself reaches, when that is lower")
    measurable: float = Field(
        default=0.40, description="a key point the example answer reaches less than this cannot be "
        "checked: shown as 'check yourself', never as missed")


class MisconceptionPolicy(_Part):
    sim: float = Field(
        default=0.60, description="cosine at which a claim may assert a misconception")
    clause_gate: float = Field(
        default=0.40,
        description="a sentence this close to a misconception has its clauses read one by "
        "one")
    margin: float = Field(
        default=0.10,
        description="a claim must be this much closer to the misconception than to the "
        "key points and example (or than to its correction)")
    min_own_trigrams: int = Field(
        default=2, description="worded like the misconception: at least this many of its own word "
        "trigrams ...")
    own_trigram_share: float = Field(default=0.5, description="... and at least this share of them")
    cap: float = Field(default=2.0, description="grade cap when a misconception is asserted")


class ContradictionPolicy(_Part):
    sim: float = Field(
        default=0.65, description="cosine at which a sentence paraphrases a key point (then a term "
        "flipped to its opposite inverts it)")
    cap: float = Field(default=2.5, description="grade cap when a key point is inverted")


class EchoPolicy(_Part):
    novelty_below: float = Field(
        default=0.34,
        description="an echo uses less than this share of words not in the question ...")
    q_sim_above: float = Field(default=0.6, description="... and is this close to the question")
    cap: float = Field(default=1.5, description="grade cap of an echo of the question")


class RelevancePolicy(_Part):
    low: float = Field(
        default=0.15,
        description="relevance ramp: r = max(cosine with the question, with the example, "
        "mean key-point cover); the grade is capped at 1 from r = low ...")
    high: float = Field(default=0.55, description="... rising to no cap at r = high")
    far: float = Field(
        default=0.325,
        description="max(cosine with the question, with the example) under this: the "
        "card says the answer seems far from the question")
    story_high: float = Field(
        default=0.40,
        description="the ramp's upper end for behavioral questions (a story shares few "
        "words with the example's story)")


class RelationsPolicy(_Part):
    lexicon: str = Field(
        default="relations_v1.yaml", description="the contrast and term-type lexicon file (data)")
    cap: float = Field(
        default=2.0,
        description="grade cap when a term is bound to what belongs to its opposite or a "
        "name is given a kind it does not have")
    trait_window: int = Field(
        default=12,
        description="a trait counts for a contrast's name within this many words after it")
    max_gap_words: int = Field(
        default=8, description="words at most between a name and the type noun it is called")
    max_after_copula: int = Field(
        default=4, description="words at most between the copula and the noun (\"are the main "
        "languages\")")


class UncertaintyPolicy(_Part):
    unverified_cap: float = Field(
        default=4.0,
        description="grade cap of a technical answer that covers none of the key points the "
        "grader can check: what could not be verified does not earn a strong grade")
    cap_provenances: tuple[str, ...] = Field(
        default=("guide", "authored"), description="questions whose key points were written as a "
        "checklist (not a source's answer cut into sentences, as SAF's and the community pack's "
        "are: there, right answers often reach none of them and the cap would be unfair)")
    unchecked_shown: int = Field(
        default=2,
        description="statements quoted on the card as not checkable against the reference")
    unchecked_below: float = Field(
        default=0.40, description="a statement this far (cosine) from every key point and example "
        "sentence could not be checked")


class DepthPolicy(_Part):
    low_ratio: float = Field(
        default=-99.0,
        description="log length ratio (answer / example answer) at or under which the "
        "grade is capped at `low_cap` ...")
    high_ratio: float = Field(default=-98.0, description="... rising linearly to no cap here")
    low_cap: float = Field(default=5.0, description="the cap at `low_ratio`")


class OtherQuestionPolicy(_Part):
    gap: float = Field(
        default=0.20,
        description="an answer this much closer to a neighbouring question's example than "
        "to its own answers that question")
    cap: float = Field(default=2.0, description="grade cap of an answer to another question")


class CapsPolicy(_Part):
    term_list: float = Field(default=2.0, description="grade cap of a bare list of terms")
    injection_penalty: float = Field(
        default=0.25, description="taken off the lower of the raw and cleaned grades when text "
        "addressed to the grader or padding was removed")


class BlendPolicy(_Part):
    kinds: tuple[str, ...] = Field(
        default=("take_home",),
        description="question kinds whose grade blends the model with their criteria (a "
        "behavioral or conversational answer's criteria come from cues the substance checks "
        "already cap on; blending them in pulled good stories down, blind dev set)")
    model_weight: float = Field(
        default=0.6, description="weight of the calibrated model in the blend (the criteria's mean "
        "gets the rest)")


class ScorerPolicy(_Part):
    """Off in p3: at weight 0.2 and cap margin 1.5 (the best on the blind dev half) it lowered
    the bad kinds by about 0.25 but capped a right two-sentence answer at 2.5 and narrowed the
    conduct eval's gap between average and weak candidates (1.70 -> 1.44): it reads length and
    style more than claims. Kept, with its fit tools and report, to be refitted on more data."""

    model: str = Field(
        default="s1", description="version of the answer scorer (a cross-encoder fitted on graded "
        "answers, `reference/models/scorer_<version>.onnx`); empty: grade without it")
    weight: float = Field(
        default=0.0, description="the scorer's share of the grade before the caps (the "
        "calibrated features' grade gets the rest)")
    cap_margin: float = Field(
        default=99.0, description="the grade stays at most this far above the scorer's grade "
        "(after the blend, before the other caps): an answer the scorer reads as wrong cannot "
        "be carried up by its cover of the reference")
    free_standing: bool = Field(
        default=False, description="also score free-standing questions (a bare reference answer, "
        "no pack, as SAF's): the weight was chosen on pack questions, and on SAF's unseen "
        "questions the scorer took agreement below the cosine baseline")
    doubt_below: float = Field(
        default=2.5, description="a scorer grade at or under this (1-5) puts on the card that the "
        "answer's claims do not read as right against the reference, when no single wrong "
        "claim was named")


class ExemplarPolicy(_Part):
    """The question's graded exemplars (`exemplars.jsonl` of a pack) as evidence for the grade:
    the grades of the exemplars nearest the answer (cosines of vectors centred on the
    exemplars' mean, so the shared topic does not decide; an exemplar of another length counts
    as farther), blended in after the caps and put back on the panel's scale. The key points
    say what a right answer covers; only graded wrong answers say what a fluent wrong one reads
    like (issue 12). An answer closer to the guide's example answer than to every exemplar is
    not blended (it restates the example; see `exemplar_grade`), and the blend never lifts a
    grade over a wrong claim's cap.

    Chosen on the blind dev half (`interviewer dev fit-exemplars`, report
    `evals/reports/exemplar_fit.md`; 78 exemplars a question of `kraken-ml-engineer`'s guide
    questions and 102 of its authored ones, 13 of `data-science-interviews`). p4 (weight 0.5,
    temperature 0.05, no length term, no scale): Spearman guide 0.752, authored 0.749, second
    pack 0.741; p5 (weight 0.8, 78 exemplars a question): 0.782 / 0.806 / 0.802, with the bad
    kinds 1.3-2.3 -> 1.1-1.7 on average and strong answers 4.4 -> 4.85; p6 (weight 0.9, 24 more
    short and mid-length exemplars an authored question): 0.785 / 0.815 / 0.804. Much of p5's
    gain is the length term: a one-line answer read like the long wrong exemplars (a thin
    answer, graded 2 by a panel, came out under fluent wrong ones, graded 1)."""

    weight: float = Field(
        default=0.9, description="the exemplars' share of the grade, blended in after the caps "
        "(the grade so far gets the rest); 0: exemplars are not read")
    temperature: float = Field(
        default=0.1, description="softmax temperature over the cosines with the exemplars: the "
        "lower, the more the nearest few decide")
    length_penalty: float = Field(
        default=0.3, description="per unit of |log(1 + words)| between the answer and an "
        "exemplar, subtracted from their cosine: exemplars of the answer's own length count "
        "most; 0: length plays no part")
    scale: tuple[float, ...] = Field(
        default=(1.0, 1.18, 2.0, 3.26, 3.48, 4.0, 4.1, 4.9, 5.0), description="the blended "
        "grade at 1, 1.5, ..., 5 put on the panel's scale (linear in between): most exemplars "
        "are weak or wrong, so the blend reads low; an isotonic fit of the panel's grades on "
        "the blended ones over the blind dev half (`interviewer dev fit-exemplars`), each knot at "
        "least 0.1 over the one before: it keeps the order, so it changes no rank correlation")
    verified_from: float = Field(
        default=4.0, description="a grade the reference checks give before the blend (key "
        "points covered, no wrong claim named) at or above which the exemplars' pull is "
        "bounded by `max_pull`: a right answer in the same words as a swapped-terms exemplar "
        "(Type I/II defined the right way round) read like it and fell from 4.5 to 2.3")
    max_pull: float = Field(
        default=1.75, description="how far under the checks' grade the exemplars may pull an "
        "answer the checks graded at or above `verified_from` (under p6 it costs 0.017 of dev "
        "Spearman on the guide's questions, 0.009 on the second pack's, none on the authored "
        "ones)")
    min_count: int = Field(
        default=5, description="a question with fewer graded exemplars than this is graded "
        "without them (too few to stand for the range of answers)")
    doubt_below: float = Field(
        default=2.5, description="when the exemplars nearest the answer were graded at or under "
        "this (1-5) and no single wrong claim was named, the card says the answer reads like "
        "the weak or wrong graded answers")

    @field_validator("scale")
    @classmethod
    def _monotone(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if len(v) != len(SCALE_KNOTS) or any(b < a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError(f"scale needs {len(SCALE_KNOTS)} non-decreasing grades")
        if min(v) < 1.0 or max(v) > 5.0:
            raise ValueError("scale grades lie in 1-5")
        return v

    def rescale(self, grade: float) -> float:
        """A blended grade on the panel's scale."""
        return float(np.interp(grade, SCALE_KNOTS, self.scale))


class CriteriaPolicy(_Part):
    depth_base: float = Field(
        default=0.6, description="depth: share of the length credit always given")
    depth_cover_bonus: float = Field(
        default=0.4,
        description="depth: the rest, given when more than `depth_cover_frac` of the key "
        "points are covered")
    depth_cover_frac: float = Field(default=0.3, description="see depth_cover_bonus")
    relevance_floor: float = Field(
        default=0.2,
        description="relevance criterion: max(cosine with question, with example) at which "
        "it scores 1 ...")
    relevance_span: float = Field(
        default=0.5, description="... and the rise over which it reaches 5")
    communication_good: float = Field(
        default=4.0, description="communication: score of 1-12 sentences")
    communication_other: float = Field(default=3.0, description="communication: score otherwise")
    communication_max_sentences: int = Field(default=12, description="see communication_good")
    communication_short_words: int = Field(
        default=8, description="communication: answers under this many words lose `short_penalty`")
    communication_short_penalty: float = Field(
        default=1.5, description="see communication_short_words")
    communication_far_cap: float = Field(
        default=2.0, description="communication cap when the relevance criterion is under 2")
    far_relevance: float = Field(
        default=2.0, description="relevance criterion score counted as far")
    correctness_wrong_cap: float = Field(
        default=1.5, description="correctness cap when a wrong claim is found")
    ownership_action: float = Field(
        default=1.5,
        description="ownership: points per action of the candidate's own (\"I built\"), "
        "two at most")
    ownership_reflection: float = Field(
        default=1.0, description="ownership: points for a lesson learned")
    motivation_full: float = Field(
        default=0.7, description="motivation: cosine with the example answer that scores 5")
    rubric_full_share: float = Field(
        default=0.5, description="take-home rubric criterion: share of its terms that scores 5")
    rubric_min_term_chars: int = Field(
        default=4, description="take-home rubric criterion: terms shorter than this are ignored")


class SubstancePolicy(_Part):
    cues: str = Field(
        default="cues_v1.yaml", description="the cue lexicon file (its patterns are data)")
    reject_window: int = Field(
        default=8, description="words before a red flag or absolute claim that can reject it (\"we "
        "never ...\")")
    rate_cap: float = Field(
        default=20.0,
        description="cue rates per 100 words are cut here (one \"always\" in five words "
        "is not twenty)")
    red_flag_cap: float = Field(
        default=1.5, description="grade cap when the answer shows bad judgement")
    evasion_hits: int = Field(
        default=2, description="evasive phrases that cap the grade on their own ...")
    evasion_max_cover: float = Field(
        default=0.34,
        description="... or one of them when the answer covers less than this share of "
        "the key points")
    evasion_short_words: int = Field(
        default=40, description="... or one of them in an answer shorter than this (an answer that "
        "says little besides the evasion; topic words alone reach the key points)")
    evasion_cap: float = Field(default=1.75, description="grade cap of an evasive answer")
    buzz_min_hits: int = Field(
        default=2, description="a jargon string has at least this many buzzwords ...")
    buzz_density: float = Field(
        default=0.15, description="... making at least this share of its content words")
    buzz_cap: float = Field(default=1.5, description="grade cap of a jargon string")
    story_kinds: tuple[str, ...] = Field(
        default=("behavioral",),
        description="question kinds that need a story with the candidate's own actions")
    story_min_actions: int = Field(
        default=1, description="own actions (\"I built ...\") a story needs")
    no_story_cap: float = Field(
        default=2.0, description="grade cap of a story-less behavioral answer")
    platitude_kinds: tuple[str, ...] = Field(
        default=("behavioral", "conversational"),
        description="question kinds where a saying with no own action is capped")
    platitude_cap: float = Field(default=2.0, description="grade cap of a platitude")
    overclaim_hits: int = Field(
        default=1,
        description="absolute claims (\"completely prevents\", \"can't occur\") that cap a "
        "technical answer")
    overclaim_absolutes: int = Field(
        default=2,
        description="... or this many different sweeping words (always, can't, fully, the "
        "only, no need, by definition, ...) ...")
    overclaim_rate: float = Field(
        default=2.0,
        description="... at this many per 100 words or more, in an answer with no hedge")
    overclaim_cap: float = Field(
        default=2.5, description="grade cap of a technical answer with them")


class FeedbackPolicy(_Part):
    strengths_shown: int = Field(default=3, description="covered key points listed as strengths")
    gaps_shown: int = Field(default=4, description="missed key points listed as gaps")
    removed_shown: int = Field(default=2, description="removed pieces quoted on the card")
    close_to_model: float = Field(
        default=0.75,
        description="cosine with the example answer praised as close to a model answer")
    short_answer_words: int = Field(
        default=6, description="answers under this many words are flagged low-confidence")


class ReferencePolicy(BaseModel):
    """The reference grader's rules as numbers. Frozen: a change is a new version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = POLICY_VERSION
    limits: LimitsPolicy = LimitsPolicy()
    cover: CoverPolicy = CoverPolicy()
    misconception: MisconceptionPolicy = MisconceptionPolicy()
    contradiction: ContradictionPolicy = ContradictionPolicy()
    echo: EchoPolicy = EchoPolicy()
    relevance: RelevancePolicy = RelevancePolicy()
    other_question: OtherQuestionPolicy = OtherQuestionPolicy()
    caps: CapsPolicy = CapsPolicy()
    blend: BlendPolicy = BlendPolicy()
    scorer: ScorerPolicy = ScorerPolicy()
    exemplars: ExemplarPolicy = ExemplarPolicy()
    criteria: CriteriaPolicy = CriteriaPolicy()
    substance: SubstancePolicy = SubstancePolicy()
    depth: DepthPolicy = DepthPolicy()
    relations: RelationsPolicy = RelationsPolicy()
    uncertainty: UncertaintyPolicy = UncertaintyPolicy()
    feedback: FeedbackPolicy = FeedbackPolicy()

    def rows(self) -> list[tuple[str, Any, str]]:
        """(dotted name, value, description) for every number, in order: what the fit report
        prints."""
        out: list[tuple[str, Any, str]] = []
        for part_name in type(self).model_fields:
            part = getattr(self, part_name)
            if not isinstance(part, BaseModel):
                continue
            for name, field in type(part).model_fields.items():
                out.append((f"{part_name}.{name}", getattr(part, name), field.description or ""))
        return out
