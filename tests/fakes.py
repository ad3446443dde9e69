"""Fakes shared by tests: a recording grader, question and grade builders, scripted models.

Import from here (`from tests.fakes import FakeGrader, make_question`) rather than redefining them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from interviewer.core.errors import ModelError
from interviewer.core.grade import (
    CriterionScore,
    Grade,
    GradeProvenance,
    GradeRequest,
    KeyPointHit,
    WrongClaim,
    criteria_for,
)
from interviewer.core.pack import Question
from interviewer.llm import CallInfo
from interviewer.llm.fakes import EchoChatModel, RecordedCall, Reply, ScriptedChatModel

__all__ = [
    "EchoChatModel",
    "FakeGrader",
    "RecordedCall",
    "RubricChatModel",
    "ScriptedChatModel",
    "TaskChatModel",
    "make_grade",
    "make_question",
]


def make_question(**overrides: Any) -> Question:
    """A valid technical question about overfitting; override any field."""
    data: dict[str, Any] = {
        "id": "machine-learning-1",
        "section": "Machine Learning",
        "topic": "Model evaluation",
        "kind": "technical",
        "stages": ["technical-interviews"],
        "question": "How do you detect and prevent overfitting?",
        "intent": "Checks understanding of generalisation.",
        "how_to_answer": "Define overfitting, say how to detect it, then list remedies.",
        "example_answer": (
            "Overfitting is when a model learns noise in the training data. I detect it by "
            "comparing training and validation error, and prevent it with regularisation, "
            "cross-validation and more data."
        ),
        "key_points": [
            "Compare training and validation error",
            "Use regularisation such as L1 or L2",
            "Use cross-validation",
        ],
        "misconceptions": ["More epochs always improve a model"],
    }
    data.update(overrides)
    return Question.model_validate(data)


def make_grade(
    request: GradeRequest, *, score: float = 3.0, covered: int | None = None,
    grader: str = "reference",
) -> Grade:
    """A plausible grade for a request: `covered` key points (default: none) marked covered."""
    points = request.question.key_points
    n = 0 if covered is None else covered
    return Grade(
        score=score,
        criteria=[
            CriterionScore(id=c.id, name=c.name, score=round(score))
            for c in criteria_for(request.question)
        ],
        key_points=[KeyPointHit(point=p, covered=i < n) for i, p in enumerate(points)],
        strengths=["fake strength"],
        gaps=["fake gap"],
        next_step="fake next step",
        provenance=GradeProvenance(grader=grader, calibration_version="fake"),  # type: ignore[arg-type]
    )


class FakeGrader:
    """Records every request; returns `make_grade(request, score=..., covered=...)`, or raises
    `error` when set."""

    def __init__(
        self, *, score: float = 3.0, covered: int | None = None, name: str = "reference",
        error: Exception | None = None, wrong_claims: list[WrongClaim] | None = None,
    ) -> None:
        self.name = name
        self.wrong_claims = wrong_claims or []
        self.score = score
        self.covered = covered
        self.error = error
        self.requests: list[GradeRequest] = []

    def grade(self, request: GradeRequest) -> Grade:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        grade = make_grade(request, score=self.score, covered=self.covered)
        if self.wrong_claims:
            grade = grade.model_copy(update={
                "wrong_claims": self.wrong_claims,
                "misconceptions": [w.text for w in self.wrong_claims]})
        return grade


class BagOfWordsEncoder:
    """An encoder fake: hashes lower-cased words into a normalised count vector, so word overlap
    is similarity; records every batch it gets."""

    def __init__(self, dim: int = 512) -> None:
        self.dim = dim
        self.calls: list[list[str]] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z0-9]+", t.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
            n = np.linalg.norm(out[i])
            if n:
                out[i] /= n
        return out

    def sent(self) -> list[str]:
        return [t for batch in self.calls for t in batch]


class RubricChatModel(ScriptedChatModel):
    """A grader model that answers each grade call with a valid rubric reply for the question the
    call's `info` names (score from `scores`, else `score`; no key point claimed except with
    `evidence`, quoted for the first one), and fails with ModelError (an HTTP 500) for the
    questions in `fail`. Records every call, like any scripted model."""

    def __init__(
        self, questions: dict[str, Question], *, score: int = 3,
        scores: dict[str, int] | None = None, fail: set[str] | None = None,
        evidence: str | None = None, model_name: str = "judge-1",
    ) -> None:
        super().__init__(model_name=model_name)
        self.questions = questions
        self.score = score
        self.scores = scores or {}
        self.fail = fail or set()
        self.evidence = evidence

    def _next(self) -> Reply:
        info = self.calls[-1].info
        qid = info.question_id if info is not None else None
        if qid is None or qid not in self.questions:
            raise AssertionError(f"a grade call for an unknown question: {qid!r}")
        if qid in self.fail:
            return ModelError(f"model {self.model_name!r} at http://127.0.0.1:9/v1: HTTP 500: "
                              "internal error")
        q = self.questions[qid]
        score = self.scores.get(qid, self.score)
        return json.dumps({
            "key_points": [{"index": i, "covered": self.evidence is not None and i == 1,
                            "evidence": self.evidence if i == 1 else None}
                           for i in range(1, len(q.key_points) + 1)],
            "criteria": [{"id": c.id, "score": score, "rationale": "scripted"}
                         for c in criteria_for(q)],
            "misconceptions": [], "strengths": ["scripted"], "gaps": [], "score": score,
            "next_step": "Keep going.",
        })


class TaskChatModel(ScriptedChatModel):
    """Answers each call by what its `info` says it is for: `replies[task]` is a reply, or a
    function of the call's CallInfo returning one (per question, say). A call for a task with no
    entry fails with ModelError, like a dead endpoint. Records every call, like any scripted
    model; `tasks(task)` are the calls of one task."""

    def __init__(self, replies: dict[str, Reply | Callable[[CallInfo], Reply]], *,
                 model_name: str = "scripted") -> None:
        super().__init__(model_name=model_name)
        self.by_task = replies

    def _next(self) -> Reply:
        info = self.calls[-1].info
        reply = self.by_task.get(info.task) if info is not None else None
        if reply is None:
            return ModelError(f"scripted model {self.model_name!r} has no reply for task "
                              f"{info.task if info else None!r}")
        return reply(info) if callable(reply) else reply

    def tasks(self, task: str) -> list[RecordedCall]:
        return [c for c in self.calls if c.info is not None and c.info.task == task]
