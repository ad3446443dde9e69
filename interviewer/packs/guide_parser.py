"""Parse an interview guide (plain text, one paragraph per line) into its guide-derived fields.

The expected shape, in order (lines are the text's own, blank lines separate paragraphs):

    <Company> <Role> Interview Questions + Guide in <year>
    Overview                       paragraphs (short sub-headings without text are skipped)
    <Company> <Role> Interview Process
                                   intro, then "1. <Stage>" + paragraph(s) per stage
    <Company> <Role> Interview Tips
                                   intro, then "<Tip heading>" + paragraph(s) per tip
    <Company> <Role> Interview Questions
                                   "<Section>" then per question: "N. <question>", why-asked
                                   paragraph, "How to Answer", paragraph, "Example", quoted answer
    QuestionTopicDifficultyAsk Chance
                                   name / difficulty / ask-chance lines, then page junk (ignored)

Paragraphs after the last stage or tip are the section's closing remarks and are not part of it.
The result holds only what the guide says; `guide_fields` projects a full pack onto the same
model so a committed pack can be checked against its guide exactly.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from interviewer.core.errors import GuideParseError
from interviewer.core.pack import Pack, Tip, Topic

TITLE_RE = re.compile(r"^(?P<prefix>.+?) Interview Questions \+ Guide in (?P<year>\d{4})$")
NUMBERED_RE = re.compile(r"^(?P<n>\d+)\.\s+(?P<text>\S.*)$")
TABLE_HEADER = "questiontopicdifficultyaskchance"
HOW_TO_ANSWER = "How to Answer"
EXAMPLE = "Example"
DIFFICULTIES = {"easy", "medium", "hard", "very hard", "expert"}
ASK_CHANCES = {"very high", "high", "medium", "low", "very low"}
QUOTES = {"\u201c": "\u201d", '"': '"'}
PARAGRAPH_ENDINGS = (".", "!", ":", ";", ",", "\u201d", '"', "\u2019", "'", ")")
MAX_HEADING_WORDS = 14


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


@dataclass(frozen=True)
class _Line:
    no: int  # 1-based line number in the guide text
    text: str


def slugify(text: str) -> str:
    """Stable ids from headings: 'Statistics & Probability' -> 'statistics-probability'."""
    text = re.sub(r"['\u2019]", "", text.lower())
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


def _is_heading(text: str) -> bool:
    return len(text.split()) <= MAX_HEADING_WORDS and not text.endswith(PARAGRAPH_ENDINGS)


def _compact(text: str) -> str:
    return "".join(text.lower().split())


def parse_guide(text: str, source_file: str) -> ParsedGuide:
    """Parse a guide; any deviation from the shape raises GuideParseError (section + line)."""
    lines = [_Line(i, raw.strip()) for i, raw in enumerate(text.splitlines(), 1) if raw.strip()]
    if not lines:
        raise GuideParseError("the guide is empty", section="title", line=1)
    title = lines[0]
    match = TITLE_RE.match(title.text)
    if not match:
        raise GuideParseError(
            "first line must read '<Company> <Role> Interview Questions + Guide in <year>', "
            f"got {title.text[:80]!r}",
            section="title",
            line=title.no,
        )
    prefix = match["prefix"]
    headings = [
        ("Overview", lambda t: t == "Overview"),
        (f"{prefix} Interview Process", lambda t: t == f"{prefix} Interview Process"),
        (f"{prefix} Interview Tips", lambda t: t == f"{prefix} Interview Tips"),
        (f"{prefix} Interview Questions", lambda t: t == f"{prefix} Interview Questions"),
        ("QuestionTopicDifficultyAsk Chance", lambda t: _compact(t) == TABLE_HEADER),
    ]
    starts: list[int] = []
    cursor = 1
    for name, is_it in headings:
        found = next((i for i in range(cursor, len(lines)) if is_it(lines[i].text)), None)
        if found is None:
            after = lines[cursor - 1]
            raise GuideParseError(
                f"missing section heading {name!r} after line {after.no}",
                section=name,
                line=after.no,
            )
        starts.append(found)
        cursor = found + 1
    bodies = [
        (lines[start], lines[start + 1 : end])
        for start, end in zip(starts, [*starts[1:], len(lines)], strict=True)
    ]
    company, role = _split_company_role(prefix, lines)
    return ParsedGuide(
        company=company,
        role=role,
        overview=_overview(*bodies[0]),
        source=GuideSource(
            file=source_file,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            title=title.text,
        ),
        stages=_stages(*bodies[1]),
        tips=_tips(*bodies[2]),
        questions=_questions(*bodies[3]),
        topics=_topics(*bodies[4]),
    )


def _split_company_role(prefix: str, lines: list[_Line]) -> tuple[str, str]:
    """The title joins company and role; the body names them apart ('<Role> at <Company>')."""
    words = prefix.split()
    if len(words) < 2:
        raise GuideParseError(
            f"title must name a company and a role, got {prefix!r}", section="title", line=1
        )
    body = "\n".join(line.text for line in lines)
    for k in range(1, len(words)):
        company, role = " ".join(words[:k]), " ".join(words[k:])
        if f"{role} at {company}" in body or f"What {company} Looks for in a" in body:
            return company, role
    return words[0], " ".join(words[1:])


def _overview(heading: _Line, body: list[_Line]) -> str:
    paragraphs = [line.text for line in body if not _is_heading(line.text)]
    if not paragraphs:
        raise GuideParseError(
            "the overview has no paragraph", section=heading.text, line=heading.no
        )
    return "\n\n".join(paragraphs)


def _headed_items(
    heading: _Line, body: list[_Line], is_item: re.Pattern[str] | None
) -> list[tuple[_Line, list[_Line]]]:
    """Split a section into (item heading, paragraphs); the intro before the first item is
    skipped, and only the first paragraph of the last item is kept (the rest close the section)."""

    def starts_item(line: _Line) -> bool:
        if is_item is not None:
            return bool(is_item.match(line.text))
        return _is_heading(line.text)

    items: list[tuple[_Line, list[_Line]]] = []
    for line in body:
        if starts_item(line):
            items.append((line, []))
        elif items:
            items[-1][1].append(line)
    if not items:
        raise GuideParseError("the section lists no items", section=heading.text, line=heading.no)
    for item, paragraphs in items:
        if not paragraphs:
            raise GuideParseError(
                f"{item.text!r} has no paragraph after it", section=heading.text, line=item.no
            )
    last, last_paragraphs = items[-1]
    items[-1] = (last, last_paragraphs[:1])
    return items


def _stages(heading: _Line, body: list[_Line]) -> list[GuideStage]:
    stages = []
    for order, (item, paragraphs) in enumerate(_headed_items(heading, body, NUMBERED_RE), 1):
        match = NUMBERED_RE.match(item.text)
        assert match is not None  # _headed_items only yields matching lines
        if int(match["n"]) != order:
            raise GuideParseError(
                f"stage numbered {match['n']} where {order} was expected",
                section=heading.text,
                line=item.no,
            )
        name = match["text"]
        stages.append(
            GuideStage(
                id=slugify(name),
                order=order,
                name=name,
                description="\n\n".join(p.text for p in paragraphs),
            )
        )
    _unique([s.id for s in stages], heading, "stage")
    return stages


def _tips(heading: _Line, body: list[_Line]) -> list[Tip]:
    tips = [
        Tip(id=slugify(item.text), title=item.text, text="\n\n".join(p.text for p in paragraphs))
        for item, paragraphs in _headed_items(heading, body, None)
    ]
    _unique([t.id for t in tips], heading, "tip")
    return tips


def _unique(ids: list[str], heading: _Line, what: str) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise GuideParseError(
            f"duplicate {what} ids {dupes}", section=heading.text, line=heading.no
        )


class _Cursor:
    """Reads a section line by line, so every error can name where it happened."""

    def __init__(self, heading: _Line, body: list[_Line]):
        self.heading = heading
        self.body = body
        self.i = 0
        self.section = heading.text

    def peek(self) -> _Line | None:
        return self.body[self.i] if self.i < len(self.body) else None

    def take(self, what: str, after: _Line) -> _Line:
        line = self.peek()
        if line is None:
            raise GuideParseError(
                f"expected {what} after line {after.no}, the section ended",
                section=self.section,
                line=after.no,
            )
        self.i += 1
        return line

    def expect(self, label: str, question: _Line) -> _Line:
        line = self.take(repr(label), question)
        if line.text != label:
            raise GuideParseError(
                f"question at line {question.no} has no {label!r} (found {line.text[:60]!r})",
                section=self.section,
                line=line.no,
            )
        return line

    def paragraph(self, what: str, after: _Line) -> _Line:
        line = self.take(what, after)
        if line.text in (HOW_TO_ANSWER, EXAMPLE) or NUMBERED_RE.match(line.text):
            raise GuideParseError(
                f"expected {what} after line {after.no}, found {line.text[:60]!r}",
                section=self.section,
                line=line.no,
            )
        return line


def _questions(heading: _Line, body: list[_Line]) -> list[GuideQuestion]:
    cur = _Cursor(heading, body)
    questions: list[GuideQuestion] = []
    counts: dict[str, int] = {}
    section_line: _Line | None = None
    while (line := cur.peek()) is not None:
        match = NUMBERED_RE.match(line.text)
        if match is None:
            if not _is_heading(line.text) or line.text in (HOW_TO_ANSWER, EXAMPLE):
                raise GuideParseError(
                    f"expected a section heading or a numbered question, found {line.text[:60]!r}",
                    section=cur.section,
                    line=line.no,
                )
            if section_line is not None and counts[cur.section] == 0:
                raise GuideParseError(
                    "section has no questions", section=cur.section, line=section_line.no
                )
            section_line = line
            cur.section = line.text
            if cur.section in counts:
                raise GuideParseError("section heading repeated", section=cur.section, line=line.no)
            counts[cur.section] = 0
            cur.i += 1
            continue
        if section_line is None:
            raise GuideParseError(
                "question before any section heading", section=cur.section, line=line.no
            )
        cur.i += 1
        number = counts[cur.section] + 1
        if int(match["n"]) != number:
            raise GuideParseError(
                f"question numbered {match['n']} where {number} was expected",
                section=cur.section,
                line=line.no,
            )
        counts[cur.section] = number
        intent = cur.paragraph("the paragraph on why it is asked", line)
        how_label = cur.expect(HOW_TO_ANSWER, line)
        how = cur.paragraph("the 'How to Answer' paragraph", how_label)
        example_label = cur.expect(EXAMPLE, line)
        example = _example(cur, example_label)
        questions.append(
            GuideQuestion(
                id=f"{slugify(cur.section)}-{number}",
                section=cur.section,
                question=match["text"],
                intent=intent.text,
                how_to_answer=how.text,
                example_answer=example,
            )
        )
    if section_line is None:
        raise GuideParseError(
            "the section lists no questions", section=heading.text, line=heading.no
        )
    if counts[cur.section] == 0:
        raise GuideParseError("section has no questions", section=cur.section, line=section_line.no)
    _unique([q.id for q in questions], heading, "question")
    return questions


def _example(cur: _Cursor, label: _Line) -> str:
    """The quoted example answer, without its quotes; a quote may span several paragraphs."""
    first = cur.paragraph("the example answer", label)
    closing = QUOTES.get(first.text[0])
    if closing is None:
        return first.text
    parts = [first.text[1:]]
    while not parts[-1].endswith(closing):
        nxt = cur.peek()
        if nxt is None or NUMBERED_RE.match(nxt.text):
            raise GuideParseError(
                "the example answer's quote is never closed", section=cur.section, line=first.no
            )
        cur.i += 1
        parts.append(nxt.text)
    parts[-1] = parts[-1][: -len(closing)]
    return "\n\n".join(parts)


def _topics(heading: _Line, body: list[_Line]) -> list[Topic]:
    topics: list[Topic] = []
    for i in range(0, len(body) - 2, 3):
        name, difficulty, chance = (line.text for line in body[i : i + 3])
        if difficulty.lower() not in DIFFICULTIES or chance.lower() not in ASK_CHANCES:
            break  # the table ends where the page's trailing junk starts
        topics.append(Topic(name=name, difficulty=difficulty, ask_chance=chance))
    if not topics:
        raise GuideParseError(
            "the topic table has no 'name / difficulty / ask chance' rows",
            section=heading.text,
            line=heading.no,
        )
    return topics


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
            if q.provenance == "guide"
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
