"""How an answer to a follow-up changes the question's grade.

The grader sees the first answer and the follow-up answer together. Graded that way, text about
the follow-up's narrower topic pulls the whole answer away from the example (a strong follow-up
answer lowered a 3.8 to 3.5), and any extra words lengthen it (a line of gibberish raised it to
3.9). The follow-up exists to let the candidate add what was missing, so: a follow-up answer that
makes a new wrong claim is graded with it; one that covers a key point the first answer missed
may raise the grade, never lower it; one that adds neither leaves the grade as it was.
"""

from __future__ import annotations

from interviewer.core.grade import Grade


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
