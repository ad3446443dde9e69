"""How an answer to a follow-up changes the question's grade.

The grader sees the first answer and the follow-up answer together. Graded that way, text about
the follow-up's narrower topic pulls the whole answer away from the example (a strong follow-up
answer lowered a 3.8 to 3.5), and any extra words lengthen it (a line of gibberish raised it to
3.9). The follow-up exists to let the candidate add what was missing, so: a follow-up answer that
makes a new wrong claim is graded with it; one that covers a key point the first answer missed
may raise the grade, never lower it; one that adds neither leaves the grade as it was.

A wrong claim is different: it caps the grade, and the follow-up to it asks the candidate to
reconsider. A follow-up answer that takes the claim back (it engages with the claim and does
not make it again) is graded with the claim's sentence left out of the first answer, so the cap
goes with it, and the grade lists the claim as corrected (QA: a right self-correction left the
grade at 2.0 with "Correct the claim..." unchanged).
"""

from __future__ import annotations

import re

from interviewer.core.grade import Grade, WrongClaim
from interviewer.core.pack import Question
from interviewer.grading import features as fx

# A follow-up answer takes a claim back when it says so in words like these ...
_RETRACT = re.compile(
    r"\b(i was wrong|i misspoke|let me correct|correction|actually|to be precise|i meant|"
    r"(that's|that is|it's|it is) not (right|correct|true|quite right)|on reflection|"
    r"i take (that|it) back|i stand corrected|scratch that|i mixed (that|it) up|"
    r"not what i meant|i should have said|more precisely)\b", re.IGNORECASE)
# ... or talks about what the claim is about: this many content words it shares with the claim,
# the misconception it asserts or the pack's correction (words of the question do not count).
CORRECTION_OVERLAP = 2


def _wrong(grade: Grade) -> set[str]:
    return {w.text for w in grade.wrong_claims} | set(grade.misconceptions)


def settle_follow_up(before: Grade, after: Grade) -> Grade:
    """`before`: the question's grade so far; `after`: the grade of everything answered so far,
    the follow-up answer included."""
    if _wrong(after) - _wrong(before):
        return after
    newly = {k.point for k in after.covered} - {k.point for k in before.covered}
    if newly and after.score >= before.score:
        return after
    # this grading ran (its provenance, a fallback included, is what the transcript records)
    # but the earlier verdict stands, or at least its score
    if not newly:
        why = "the follow-up answer added no key point: the earlier grade stands"
        return before.model_copy(update={"provenance": after.provenance.model_copy(
            update={"settled": why})})
    why = "the follow-up answer added a key point: the score keeps the earlier, higher one"
    return after.model_copy(update={"score": before.score, "provenance": after.provenance
                                    .model_copy(update={"settled": why})})


def _key(w: WrongClaim) -> str:
    return w.misconception or w.text


def corrects(answer: str, claims: list[WrongClaim], question: Question) -> bool:
    """Does this follow-up answer engage with the wrong claims (a retraction, or words about
    what they claim)? Whether it is right is for the grader: see `settle_correction`."""
    if fx.is_non_answer(answer):
        return False
    if _RETRACT.search(answer):
        return True
    said = set(fx.content_words(answer)) - set(fx.content_words(question.question))
    for w in claims:
        about = set(fx.content_words(" ".join((w.text, w.misconception, w.correction))))
        if len(said & about) >= CORRECTION_OVERLAP:
            return True
    return False


def correction_text(answers: list[str], claims: list[WrongClaim], follow_up: str) -> str:
    """What the candidate now stands by: the earlier answers without the sentences that made
    the claims, then the follow-up answer."""
    heads = [_norm(w.text).rstrip("…").strip() for w in claims if w.text.strip()]
    kept: list[str] = []
    for answer in answers:
        sents = fx.split_sentences(answer, min_words=1) or [answer]
        keep = [s for s in sents if not any(h and (_norm(s).startswith(h) or h in _norm(s))
                                            for h in heads)]
        if keep:
            kept.append(" ".join(keep))
    return "\n\n".join([*kept, follow_up])


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def settle_correction(before: Grade, revised: Grade) -> Grade | None:
    """`revised`: the grade of `correction_text`. None when a claim was made again (the usual
    settling applies); else the revised grade, never lower than before, with the claims it no
    longer makes listed as corrected."""
    again = {_key(w) for w in revised.wrong_claims} | set(revised.misconceptions)
    fixed = [w for w in before.wrong_claims if _key(w) not in again and w.text not in again]
    if not fixed or len(fixed) < len(before.wrong_claims):
        return None
    claims = "; ".join(f"\u201c{w.text}\u201d" for w in fixed)
    why = (f"the follow-up answer corrected {claims}: it no longer caps the grade, which is now "
           "that of the answer without it")
    return revised.model_copy(update={
        "score": max(revised.score, before.score), "corrected": [*before.corrected, *fixed],
        "provenance": revised.provenance.model_copy(update={"settled": why})})
