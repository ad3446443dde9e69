"""Small predicates the grader and the card share."""

from __future__ import annotations

from interviewer.core.pack import Question
from interviewer.grading.reference.features import AnswerFeatures


def unverified(question: Question, feats: AnswerFeatures) -> bool:
    """A technical answer none of whose checkable key points was found: its claims could not be
    verified against the reference, so its grade stays under the policy's cap."""
    checkable = [k for k in feats.key_points if k.measured]
    return (question.kind == "technical" and not feats.non_answer and bool(checkable)
            and not any(k.covered for k in checkable))
