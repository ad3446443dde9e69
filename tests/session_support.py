"""Builders for interview-session tests: a small pack made in code, a grader whose grade depends
on the answer (so follow-ups can be triggered on purpose), and services wired from them."""

from __future__ import annotations

import re
from typing import Any

from interviewer.app.services import Services
from interviewer.core.grade import (
    CriterionScore,
    Grade,
    GradeProvenance,
    GradeRequest,
    KeyPointHit,
    criteria_for,
)
from interviewer.core.pack import Pack
from interviewer.core.settings import Settings
from interviewer.interview.offline import OfflineInterviewer
from interviewer.transcripts.store import JsonlTranscriptStore

PACK_NAME = "mini"


def _q(qid: str, stage: str, topic: str, *, kind: str = "technical", difficulty: str = "medium",
       follow_ups: list[str] | None = None, hints: list[str] | None = None) -> dict[str, Any]:
    n = qid.replace("-", " ")
    return {
        "id": qid, "section": topic, "topic": topic, "kind": kind, "stages": [stage],
        "difficulty": difficulty,
        "question": f"Tell me about {n}?",
        "intent": f"Checks that the candidate understands {n} in practice.",
        "how_to_answer": "Start with a definition, then a concrete example.",
        "example_answer": (f"For {n} I would first measure zebracorn drift on a holdout window, "
                           "then apply quokka regularisation with nested validation folds."),
        "key_points": [f"zebracorn drift measured for {n}",
                       "quokka regularisation applied carefully",
                       "nested validation folds"],
        "follow_ups": follow_ups if follow_ups is not None else [
            "How would you check that it worked?", "What would you monitor afterwards?"],
        "hints": hints or [],
    }


def make_pack(*, name: str = PACK_NAME) -> Pack:
    stages = [
        {"id": "screen", "order": 1, "name": "Recruiter Screen", "description": "A short call.",
         "format": "30-minute call", "persona": "recruiter", "aliases": ["recruiter"]},
        {"id": "technical", "order": 2, "name": "Technical Interview",
         "description": "ML depth.", "persona": "ML engineer", "aliases": ["tech"]},
        {"id": "behavioral", "order": 3, "name": "Behavioral Interview",
         "description": "Stories.", "persona": "hiring manager"},
    ]
    questions = [
        _q("screen-1", "screen", "Motivation", kind="conversational", difficulty="easy"),
        _q("screen-2", "screen", "Motivation", kind="conversational", difficulty="easy"),
        _q("screen-3", "screen", "Background", kind="conversational"),
        _q("tech-1", "technical", "Machine Learning", difficulty="easy"),
        _q("tech-2", "technical", "Machine Learning", difficulty="medium"),
        _q("tech-3", "technical", "Statistics", difficulty="hard"),
        _q("tech-4", "technical", "Statistics", difficulty="medium", follow_ups=[]),
        _q("tech-5", "technical", "Programming", difficulty="expert"),
        _q("tech-6", "technical", "Programming", difficulty="easy"),
        _q("beh-1", "behavioral", "Teamwork", kind="behavioral"),
        _q("beh-2", "behavioral", "Teamwork", kind="behavioral"),
    ]
    return Pack.model_validate({
        "name": name, "company": "Acme", "role": "ML Engineer", "overview": "A test pack.",
        "source": {"file": "guide.txt", "sha256": "0" * 64},
        "stages": stages,
        "topics": [
            {"name": "Machine Learning", "difficulty": "Medium", "ask_chance": "Very High"},
            {"name": "Statistics", "difficulty": "Hard", "ask_chance": "Medium"},
            {"name": "Programming", "difficulty": "Medium", "ask_chance": "Low"},
        ],
        "tips": [{"id": "be-specific", "title": "Be specific", "text": "Use numbers."}],
        "questions": questions,
    })


_WORD = re.compile(r"[a-z]+")


class KeywordGrader:
    """A key point is covered when its first word appears in the answer; score 1 + 4 * share.

    Records every request so tests can check what was graded (and that nothing else was)."""

    name = "keyword"

    def __init__(self) -> None:
        self.requests: list[GradeRequest] = []

    def grade(self, request: GradeRequest) -> Grade:
        self.requests.append(request)
        words = set(_WORD.findall(request.answer.lower()))
        points = request.question.key_points
        hits = [KeyPointHit(point=p, covered=_WORD.findall(p.lower())[0] in words) for p in points]
        share = sum(h.covered for h in hits) / len(hits)
        score = round(1 + 4 * share, 2)
        return Grade(
            score=score,
            criteria=[CriterionScore(id=c.id, name=c.name, score=max(1, min(5, round(score))))
                      for c in criteria_for(request.question)],
            key_points=hits, strengths=["names things"] if share else [],
            gaps=["misses points"] if share < 1 else [],
            next_step=f"Practise {request.question.topic}.",
            provenance=GradeProvenance(grader="reference", calibration_version="keyword-test"),
        )


FULL = "zebracorn drift, quokka regularisation and nested validation"
PARTIAL = "zebracorn drift only"
POOR = "I am not sure"


def make_services(settings: Settings, *, pack: Pack | None = None, grader: Any = None,
                  interviewer: Any = None) -> Services:
    pack = pack or make_pack()
    return Services(
        settings=settings, grader=grader or KeywordGrader(),
        interviewer=interviewer or OfflineInterviewer(),
        store=JsonlTranscriptStore(settings.transcripts_dir), packs={pack.name: pack},
    )
