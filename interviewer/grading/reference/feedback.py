"""The grade card the reference grader writes: criterion scores with their reasons, strengths,
gaps, wrong claims explained, one next step, and how sure it is."""

from __future__ import annotations

import math

from interviewer.core.grade import (
    Criterion,
    CriterionScore,
    Grade,
    GradeProvenance,
    KeyPointHit,
    WrongClaim,
    criteria_for,
)
from interviewer.core.pack import Question
from interviewer.grading import features as fx
from interviewer.grading.reference import claims as cl
from interviewer.grading.reference.checks import unverified
from interviewer.grading.reference.features import AnswerFeatures, short
from interviewer.grading.reference.policy import ReferencePolicy


def to_int(x: float) -> int:
    return int(min(5, max(1, math.floor(x + 0.5))))


def criteria(question: Question, f: AnswerFeatures, overall: float,
             policy: ReferencePolicy) -> list[CriterionScore]:
    """Per-criterion scores from the same features, each with the reason in a few words."""
    defs = criteria_for(question)
    if f.non_answer:
        return [CriterionScore(id=c.id, name=c.name, score=1, rationale="No answer.")
                for c in defs]
    p = policy.criteria
    v = f.values
    frac = v["cov_frac"]
    depth_raw = 1.0 + 4.0 * min(1.0, math.exp(v["len_ratio"])) * (
        p.depth_base + p.depth_cover_bonus * (frac > p.depth_cover_frac))
    star = fx.star_cues(" ".join(f.sentences))
    story = f.substance.cues.story  # situation, the candidate's own actions, a result
    spec = fx.specificity(" ".join(f.sentences))
    relevance = 1.0 + 4.0 * min(1.0, max(0.0, (max(v["q_sim"], v["cos_example"])
                                                - p.relevance_floor) / p.relevance_span))
    comm = (p.communication_good if 1 <= len(f.sentences) <= p.communication_max_sentences
            else p.communication_other)
    if f.words < p.communication_short_words:
        comm -= p.communication_short_penalty
    if relevance < p.far_relevance:
        comm = min(comm, p.communication_far_cap)
    wrong = bool(f.misconceptions or f.contradictions or f.relations)
    out: dict[str, tuple[float, str]] = {
        "correctness": (
            min(overall, p.correctness_wrong_cap) if wrong else overall,
            "Asserts a wrong claim." if wrong else "No known misconception found.",
        ),
        "completeness": (1.0 + 4.0 * frac, coverage_note(f.key_points)),
        "depth": (depth_raw, "Length and detail relative to the example answer."),
        "communication": (comm, f"{len(f.sentences)} sentence(s), {f.words} words."),
        "star": (
            1.0 + story.situation + min(story.action, 2) + story.result,
            f"Situation {'yes' if story.situation else 'no'}, actions of your own "
            f"{story.action}, result {'yes' if story.result else 'no'}.",
        ),
        "specificity": (1.0 + 4.0 * spec, "Numbers, names and concrete details."),
        "ownership": (
            1.0 + p.ownership_action * min(story.action, 2)
            + p.ownership_reflection * star.reflection,
            ("Your own actions" if story.action else "No action of your own")
            + (" and a lesson learned." if star.reflection else "; no lesson."),
        ),
        "relevance": (relevance, "Similarity to the question and the example answer."),
        "motivation": (
            1.0 + 4.0 * min(1.0, v["cos_example"] / p.motivation_full)
            if v["cos_example"] > 0 else 1.0,
            "Closeness to a well-motivated answer.",
        ),
    }
    return [
        CriterionScore(id=c.id, name=c.name, score=to_int(out[c.id][0]), rationale=out[c.id][1])
        if c.id in out else rubric_score(c, f, overall, policy)
        for c in defs
    ]


def rubric_score(c: Criterion, f: AnswerFeatures, overall: float,
                 policy: ReferencePolicy) -> CriterionScore:
    """A take-home rubric criterion: how much of the answer speaks to it, scaled by the overall."""
    p = policy.criteria
    text = " ".join(f.sentences).lower()
    terms = {w for w in fx.content_words(c.name + " " + c.description)
             if len(w) >= p.rubric_min_term_chars}
    hit = sum(1 for t in terms if t in text) / max(1, len(terms))
    score = min(overall, 1.0 + 4.0 * min(1.0, hit / p.rubric_full_share))
    return CriterionScore(id=c.id, name=c.name, score=to_int(score),
                          rationale=f"Addresses {round(hit * 100)}% of this criterion's terms.")


def next_step(question: Question, f: AnswerFeatures, missed: list[KeyPointHit]) -> str:
    if f.non_answer:
        return f"Give an answer, even a partial one; start with: {question.key_points[0]}"
    if f.other_question:
        return (f"Answer the question asked (\"{bare(question.question, 100)}\"); start "
                f"with: {question.key_points[0]}")
    if f.misconceptions:
        sent, mc = f.misconceptions[0]
        fix = cl.correction(question, mc)
        return (f"Correct the claim \"{short(sent, 80)}\": " + (fix if fix else
                f"it is a known misconception ({mc})."))
    if f.contradictions:
        sent, point = f.contradictions[0]
        return f"Re-check \"{short(sent, 80)}\" against: {point}"
    if f.relations:
        sent, problem = f.relations[0]
        return f"Re-check \"{short(sent, 80)}\": {problem}."
    if f.echo:
        return f"Answer the question rather than restating it; start with: {question.key_points[0]}"
    if f.substance.findings:
        return f.substance.findings[0].reason
    if f.term_list:
        return ("Pick the two or three terms that matter here and explain in full sentences how "
                f"you would use them; start with: {question.key_points[0]}")
    star = fx.star_cues(" ".join(f.sentences))
    if question.kind == "behavioral" and (star.parts < 3 or not missed):
        for part, ok in (("Situation", star.situation), ("Task", star.task),
                         ("Action you took", star.action), ("measurable Result", star.result)):
            if not ok:
                return f"Tell it as a STAR story: add the {part}."
    if missed:
        return f"Add this point: {missed[0].point}"
    unchecked = [k for k in f.key_points if not k.covered and not k.measured]
    if unchecked and question.kind != "technical":
        return f"Check your answer against what the interviewer looks for: {unchecked[0].point}"
    return "Add a concrete example or a trade-off (when you would choose otherwise)."


def far_from_question(f: AnswerFeatures, policy: ReferencePolicy) -> bool:
    return (max(f.values.get("q_sim", 0.0), f.values.get("cos_example", 0.0))
            < policy.relevance.far)


def coverage_note(points: list[KeyPointHit]) -> str:
    checked = [k for k in points if k.covered or k.measured]
    note = f"Covers {sum(k.covered for k in checked)} of {len(checked)} key points checked"
    if len(checked) < len(points):
        note += f"; {len(points) - len(checked)} not checkable automatically"
    return note + "."


def confidence(question: Question, f: AnswerFeatures, clean: fx.Sanitized,
               policy: ReferencePolicy) -> tuple[bool, str | None]:
    if clean.removed:
        return True, "The answer contained text addressed to the grader."
    if clean.repeated:
        return True, "The answer repeats a sentence over and over."
    if f.non_answer:
        return False, None
    if f.words < policy.feedback.short_answer_words:
        return True, "Very short answer."
    if unverified(question, f):
        return True, ("Could not verify the answer's claims: none of the key points the grader "
                      "can check was found.")
    if question.kind in ("behavioral", "conversational"):
        return True, "Open-ended question: the reference grader only checks cues and similarity."
    return False, None


def wrong_claim(question: Question, sentence: str, claim: str) -> str:
    text = (f"Wrong claim: \"{short(sentence)}\" - this is a known misconception "
            f"({claim.rstrip('. ')})")
    fix = cl.correction(question, claim)
    return f"{text}. In fact: {fix}" if fix else text


def bare(question: str, limit: int = 140) -> str:
    """A question quoted in feedback, without its question mark: feedback asks nothing."""
    return short(question, limit).rstrip("?").rstrip()


def build_grade(
    question: Question, feats: AnswerFeatures, score: float, clean: fx.Sanitized,
    policy: ReferencePolicy, provenance: GradeProvenance, model_grade: float | None = None,
    exemplar_grade: float | None = None,
) -> Grade:
    """The card for one graded answer (`model_grade`: the answer scorer's, when it read it;
    `exemplar_grade`: the grades of the question's exemplars nearest the answer, when read)."""
    fb = policy.feedback
    crit = criteria(question, feats, score, policy)
    strengths: list[str] = []
    gaps: list[str] = []
    wrong = [wrong_claim(question, s, m) for s, m in feats.misconceptions]
    wrong += [
        f"Check this claim: \"{short(s)}\" - it seems to invert the key point \"{p}\""
        for s, p in feats.contradictions
    ]
    wrong += [f"Wrong claim: \"{short(s)}\" - {p}." for s, p in feats.relations]
    covered = [k for k in feats.key_points if k.covered]
    missed = [k for k in feats.key_points if not k.covered and k.measured]
    if feats.non_answer:
        gaps.append("No answer was given.")
    elif feats.echo:
        gaps.append("The answer mostly restates the question instead of answering it.")
    elif feats.term_list:
        gaps.append("The answer lists terms without saying anything about them.")
    if feats.other_question:
        gaps.append("This reads like an answer to another question (\""
                    f"{bare(feats.other_question)}\"), not to the one asked.")
    elif not feats.non_answer and far_from_question(feats, policy):
        # the relevance criterion's 1-2: say it in words (with points the grader cannot
        # check, nothing else on the card would explain a low grade)
        gaps.append("The answer seems far from the question asked: make clear how it "
                    "answers it.")
    for k in covered[: fb.strengths_shown]:
        strengths.append(f"Covers: {k.point}")
    off = feats.non_answer or feats.echo or feats.other_question or far_from_question(feats, policy)
    doubt = (model_grade is not None and model_grade <= policy.scorer.doubt_below and not off
             and not wrong)
    if feats.values.get("cos_example", 0) > fb.close_to_model and not wrong and not doubt:
        strengths.append("Close in substance to a model answer.")
    gaps.extend(wrong)
    if doubt:
        gaps.append("The answer's claims do not read as right against the reference answer (the "
                    f"answer scorer gives its substance {model_grade:.1f}/5): check each "
                    "statement against the model answer.")
    if (exemplar_grade is not None and exemplar_grade <= policy.exemplars.doubt_below
            and not off and not wrong and not doubt):
        gaps.append("The answer reads most like the graded example answers that scored about "
                    f"{exemplar_grade:.1f}/5 (weak or wrong ones), and the grade leans toward "
                    "them: check each claim against the model answer.")
    gaps.extend(f.reason for f in feats.substance.findings)
    if unverified(question, feats) and not off:
        capped = question.provenance in policy.uncertainty.cap_provenances
        gaps.append("None of the key points the grader can check was found, so it could not "
                    "verify the answer's claims" + (
                        f": the grade stays under {policy.uncertainty.unverified_cap:g}."
                        if capped else "."))
    if question.kind == "technical" and feats.unchecked and not off:
        gaps.append("Could not check against the reference: " + "; ".join(
            f"\"{short(u, 80)}\"" for u in feats.unchecked[: policy.uncertainty.unchecked_shown]))
    for k in missed[: fb.gaps_shown]:
        gaps.append(f"Missing: {k.point}")
    if clean.removed:
        gaps.append(
            "Text addressed to the grader was ignored (and marked down): "
            + "; ".join(short(r, 60) for r in clean.removed[: fb.removed_shown])
        )
    if clean.repeated:
        gaps.append(
            f"A sentence said {fx.REPEAT_LIMIT} or more times was not counted (and marked "
            "down): " + "; ".join(short(r, 60) for r in clean.repeated[: fb.removed_shown])
        )
    low, why = confidence(question, feats, clean, policy)
    return Grade(
        score=round(score, 2),
        criteria=crit,
        key_points=feats.key_points,
        strengths=strengths,
        gaps=gaps,
        misconceptions=[s for s, _ in feats.misconceptions]
        + [s for s, _ in feats.contradictions] + [s for s, _ in feats.relations],
        wrong_claims=[WrongClaim(text=s, problem=f"a known misconception: {m}",
                                 correction=cl.correction(question, m), misconception=m)
                      for s, m in feats.misconceptions]
        + [WrongClaim(text=s, problem=f"it seems to invert the key point: {p}")
           for s, p in feats.contradictions]
        + [WrongClaim(text=s, problem=p) for s, p in feats.relations],
        other_question=feats.other_question,
        next_step=next_step(question, feats, missed),
        low_confidence=low,
        confidence_reason=why,
        provenance=provenance,
    )
