"""Grading: one Grade type for every grader (LLM rubric grader, offline reference grader)."""

from interviewer.core.grade import (
    CRITERIA,
    Criterion,
    CriterionScore,
    Grade,
    GradeProvenance,
    Grader,
    GradeRequest,
    KeyPointHit,
    criteria_for,
)

__all__ = [
    "CRITERIA",
    "Criterion",
    "CriterionScore",
    "Grade",
    "GradeProvenance",
    "Grader",
    "GradeRequest",
    "KeyPointHit",
    "criteria_for",
]
