"""The guide-derived fields of a pack (`ParsedGuide`), and `parse_guide`, which reads any guide of
the family (see `guide_family.py` for the shapes it accepts and how each part is found).

The result holds only what the guide says; `guide_fields` projects a full pack onto the same
model so a committed pack can be checked against its guide exactly.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from interviewer.core.pack import Pack, Tip, Topic


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GuideSource(_Model):
    file: str
    sha256: str
    title: str


class GuideStage(_Model):
    id: str
    order: int
    name: str
    description: str


class GuideQuestion(_Model):
    id: str
    section: str
    question: str
    intent: str
    how_to_answer: str
    example_answer: str


class ParsedGuide(_Model):
    """Everything a guide states, and nothing authored on top of it."""

    company: str
    role: str
    overview: str
    source: GuideSource
    stages: list[GuideStage]
    topics: list[Topic]
    tips: list[Tip]
    questions: list[GuideQuestion]


def slugify(text: str) -> str:
    """Stable ids from headings: 'Statistics & Probability' -> 'statistics-probability'."""
    text = re.sub(r"['\u2019]", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def parse_guide(text: str, source_file: str) -> ParsedGuide:
    """Parse a guide of the family; text that is not one raises GuideParseError (section + line)."""
    from interviewer.packs.guide_family import parse_family_guide

    return parse_family_guide(text, source_file)


def guide_fields(pack: Pack) -> ParsedGuide:
    """A pack's guide-derived fields, in the parser's shape, to compare with a fresh parse."""
    return ParsedGuide(
        company=pack.company,
        role=pack.role,
        overview=pack.overview,
        source=GuideSource(
            file=pack.source.file, sha256=pack.source.sha256, title=pack.source.title or ""
        ),
        stages=[
            GuideStage(id=s.id, order=s.order, name=s.name, description=s.description)
            for s in pack.stages
        ],
        topics=[t.model_copy() for t in pack.topics],
        tips=[t.model_copy() for t in pack.tips],
        questions=[
            GuideQuestion(
                id=q.id,
                section=q.section,
                question=q.question,
                intent=q.intent,
                how_to_answer=q.how_to_answer,
                example_answer=q.example_answer,
            )
            for q in pack.questions
            if q.provenance in ("guide", "derived")
        ],
    )


SENTENCE_RE = re.compile(r"(?<=[.!?])\s+")


def scaffold_pack(parsed: ParsedGuide, name: str) -> Pack:
    """A loadable pack from a guide alone, so a user's own guide works before anyone authors it.

    The fields a guide does not state get plain defaults to review: each question's topic is its
    section, it belongs to the technical-interview stages (else every stage), and its key
    points are the example answer's sentences."""
    stage_ids = [s.id for s in parsed.stages]
    technical = next(
        (
            hits
            for key in ("technical-interview", "technical")
            if (hits := [s for s in stage_ids if key in s])
        ),
        stage_ids,
    )
    questions = []
    for q in parsed.questions:
        sentences = [s.strip() for s in SENTENCE_RE.split(q.example_answer) if s.strip()]
        questions.append(
            q.model_dump()
            | {"topic": q.section, "stages": technical, "key_points": sentences[:6] or [q.question]}
        )
    return Pack.model_validate(
        {
            "name": name,
            "company": parsed.company,
            "role": parsed.role,
            "overview": parsed.overview,
            "source": parsed.source.model_dump(),
            "stages": [s.model_dump() for s in parsed.stages],
            "topics": [t.model_dump() for t in parsed.topics],
            "tips": [t.model_dump() for t in parsed.tips],
            "questions": questions,
        }
    )
