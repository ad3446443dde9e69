"""Read any interview guide of the family (title "<Company> <Role> Interview Questions + Guide in
<year>"), not one file: the parser finds its parts by landmarks, not by exact headings.

What varies between real guides of the family, and how each part is found:

- title: the first line; the company and role are split by what the body says about them
  ("<Role> at <Company>", "<Company> is a", "a <Role>", ...).
- overview: paragraphs before the process heading; its heading ("Overview", "Introduction") may be
  absent, and short sub-headings without text ("What X Looks for in a Y") are skipped.
- process: the first heading ending in "Interview Process" ("Interview Process", "The Interview
  Process", "<Company> <Role> Interview Process"); an intro, then 3 to 7 stages "1. <Stage>", each
  with one or more paragraphs. The section ends at the next heading.
- tips: that next heading, whatever it says ("... Interview Tips", "Tips for Success", "How to
  Prepare"), an optional intro, then "<Tip heading>" + paragraph(s) per tip.
- questions: the first question followed by "How to Answer" is the first question; the
  heading before it is its section, and the last "... Questions" heading before that opens the
  part (text between them is an intro). Questions are numbered per section or straight through
  ("01." too), or not numbered at all: then a question is the last line before "How to Answer"
  that reads as one ("...?", or "Walk us through ...." and other imperatives), with up to three
  context paragraphs between them. The context paragraph may be missing; an example is a quote
  (which may span paragraphs) or plain paragraphs up to the next question or heading.
- topic table: "QuestionTopicDifficultyAsk Chance", then name / difficulty / ask-chance rows
  (three lines, or one line split by tabs or "|"; a value may be a range such as "Medium/High"),
  then page junk, which is ignored. Optional. Usually at the end; a table placed earlier (before
  the questions) is read and taken out of the text around it.

Paragraphs after the last stage or tip that talk about the whole process ("Throughout the
process...", "As you prepare...", "Good luck!") are closing remarks, not part of that item.
Text that is not such a guide raises GuideParseError naming the section and the line where the
parse lost its way. Everything kept is the guide's own text, verbatim.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from interviewer.core.errors import GuideParseError
from interviewer.core.pack import LEVEL_RANGE_RE, Tip, Topic
from interviewer.packs.guide_parser import (
    GuideQuestion,
    GuideSource,
    GuideStage,
    ParsedGuide,
    slugify,
)

TITLE_RE = re.compile(
    r"^(?P<prefix>.+?)\s+Interview\s+Questions\s*(?:\+|&|and)\s*Guide"
    r"(?:\s*(?:in|for|[-:(])\s*(?P<year>\d{4})\)?)?\s*$",
    re.IGNORECASE,
)
TITLE_SEARCH_LINES = 5  # page junk before the title is skipped, up to this many lines
NUMBERED_RE = re.compile(
    r"^(?:(?:stage|step|round|question|q)\s*)?(?P<n>\d{1,2})\s*[.):]\s+(?P<text>\S.*)$",
    re.IGNORECASE,
)
PROCESS_RE = re.compile(r"^(?:.*\s)?interview\s+process(?:\s+overview)?\s*:?$", re.IGNORECASE)
OVERVIEW_HEADINGS = {"overview", "introduction", "about", "about the role", "role overview"}
QUESTIONS_RE = re.compile(r"\bquestions\b", re.IGNORECASE)
TIPS_HEADING_RE = re.compile(r"\btips?\b|\bprepar|\badvice\b|\bsucce|\bace\b|\bstand out\b",
                             re.IGNORECASE)
INTERVIEW_QUESTIONS_RE = re.compile(r"\binterview\s+questions\s*:?$", re.IGNORECASE)
HOW_RE = re.compile(r"^how\s+to\s+answer\s*:?$", re.IGNORECASE)
EXAMPLE_RE = re.compile(r"^(?:example|sample)(?:\s+answer|\s+response)?\s*:?$", re.IGNORECASE)
TABLE_HEADERS = {"questiontopicdifficultyaskchance", "topicdifficultyaskchance"}
DIFFICULTIES = {"very easy", "easy", "medium", "moderate", "intermediate", "hard", "very hard",
                "difficult", "expert"}
ASK_CHANCES = {"very low", "low", "medium", "moderate", "high", "very high"}
QUOTES = {"\u201c": "\u201d", '"': '"', "\u201e": "\u201d"}
PARAGRAPH_ENDINGS = (".", "!", ":", ";", ",", "\u201d", '"', "\u2019", "'", ")")
MAX_HEADING_WORDS = 14
STAGE_NAME_WORDS = 8  # "1. Initial Screening: The process begins..." names the stage before ":"
QUESTION_LOOKAHEAD = 6  # lines between a numbered question and its "How to Answer"
# A question without a number: a line that reads as a question (ends with "?", or with "." after
# an imperative such as "Walk us through...") followed by "How to Answer", with at most this many
# context paragraphs between them, none of which reads as a question itself (so a rhetorical
# question ending the previous example is not taken for the next question).
UNNUMBERED_CONTEXT = 3
QUESTION_MAX_WORDS = 60
IMPERATIVE_STARTS = {
    "tell", "describe", "explain", "walk", "give", "design", "write", "implement", "compare",
    "name", "list", "discuss", "share", "outline", "define", "suppose", "imagine", "talk",
    "build", "estimate", "propose", "sketch", "present", "prioritize", "prioritise", "evaluate",
    "calculate", "find", "create", "identify", "assume", "consider", "let's", "say",
    "show", "draft", "plan", "recall", "think", "reflect", "rank", "debug", "critique",
}
CONDITION_STARTS = {"given", "if", "assuming", "when", "once", "after", "for"}
# "How would you ... ." reads as a question; "When the test ends, I ..." does not
WH_WORDS = {"how", "what", "why", "when", "where", "which", "who", "whom", "whose"}
AUXILIARIES = {"would", "do", "does", "did", "is", "are", "was", "were", "can", "could", "should",
               "will", "have", "has", "might", "must", "may"}
# A paragraph after the last stage or tip that speaks about the whole process closes the section.
CLOSING_STARTS = (
    "throughout", "as you prepare", "overall", "now that", "by following", "following these",
    "with these", "with this", "good luck", "in summary", "in conclusion", "to summarize",
    "remember", "keep in mind", "all in all", "regardless", "at every stage", "in all stages",
    "the entire process", "the whole process", "candidates have reported", "candidates report",
    "candidates say", "candidates describe", "candidates often", "many candidates",
    "most candidates", "some candidates", "if you", "best of luck", "preparing", "feedback",
)
CLOSING_PHRASES = ("interview process", "these tips", "these stages", "each stage",
                   "every stage", "good luck", "throughout the process", "the process as a whole",
                   "each round", "every round", "these rounds", "these areas", "these steps",
                   "these points", "these suggestions", "these strategies", "hear back",
                   "heard back", "hearing back")
# "With thoughtful preparation and a few stories, you will...", "By preparing along these lines"
CLOSING_PREPARATION_RE = re.compile(r"^(?:with|by|after|through)\b[^.!?]{0,60}\bprepar",
                                    re.IGNORECASE)


@dataclass(frozen=True)
class _Line:
    no: int  # 1-based line number in the guide text
    text: str


def is_heading(text: str) -> bool:
    """A short line without a sentence's final punctuation ("?" is a heading's too)."""
    return (len(text.split()) <= MAX_HEADING_WORDS and not text.endswith(PARAGRAPH_ENDINGS)
            and not is_label(text) and _compact(text) not in TABLE_HEADERS)


def is_label(text: str) -> bool:
    return bool(HOW_RE.match(text) or EXAMPLE_RE.match(text))


def is_closing(text: str) -> bool:
    low = text.lower()
    return (low.startswith(CLOSING_STARTS) or any(p in low for p in CLOSING_PHRASES)
            or CLOSING_PREPARATION_RE.match(low) is not None)


def _compact(text: str) -> str:
    return "".join(text.lower().split())


def _is_table(line: _Line) -> bool:
    return _compact(line.text) in TABLE_HEADERS


def reads_as_question(text: str) -> bool:
    """A line that could be a question without its number: "...?" or an imperative "...."."""
    if text[:1] in QUOTES or is_label(text) or len(text.split()) > QUESTION_MAX_WORDS:
        return False
    if text.endswith("?"):
        return True
    if not text.endswith("."):
        return False
    lead, comma, rest = text.partition(", ")
    if comma and lead.split()[0].lower() in CONDITION_STARTS:  # "Given a table X, write..."
        return reads_as_question(rest[:1].upper() + rest[1:])
    words = [w.lower().rstrip(",:") for w in text.split()[:2]] + [""]
    return (words[0] in IMPERATIVE_STARTS or (words[0] in WH_WORDS and words[1] in AUXILIARIES)
            or (words[0] in AUXILIARIES and words[1] in {"you", "we", "i"}))


def parse_family_guide(text: str, source_file: str) -> ParsedGuide:
    """Parse a guide of the family; a text that is not one raises GuideParseError."""
    return _Reader(text, source_file).parse()


class _Reader:
    def __init__(self, text: str, source_file: str) -> None:
        self.text = text
        self.source_file = source_file
        self.lines: list[_Line] = []
        for i, raw in enumerate(text.lstrip("\ufeff").splitlines(), 1):
            if raw.strip():
                self.lines += _split_inline_label(_Line(i, raw.strip()))

    def fail(self, message: str, section: str, line: _Line | int) -> GuideParseError:
        return GuideParseError(message, section=section,
                               line=line if isinstance(line, int) else line.no)

    # --- the parts, in order -----------------------------------------------------------------

    def parse(self) -> ParsedGuide:
        lines = self.lines
        if not lines:
            raise self.fail("the guide is empty", "title", 1)
        t, match = self._title()
        prefix = match["prefix"].strip()
        topics, table = self._table(t + 1)
        p = self._find(t + 1, lambda x: is_heading(x) and bool(PROCESS_RE.match(x)))
        if p is None:
            raise self.fail(
                "no interview-process heading ('Interview Process', 'The Interview Process' or "
                f"'{prefix} Interview Process') after the title at line {lines[t].no}",
                "Interview Process", lines[t])
        stages, after_process = self._stages(p)
        q1 = self._first_question(after_process)
        if q1 is None:
            raise self.fail(
                "no question found: expected a question ('1. ...', or a line ending in '?') "
                "followed by 'How to Answer' after the interview process (line "
                f"{lines[after_process - 1].no})", "Interview Questions", lines[after_process - 1])
        section_at = next((i for i in range(q1 - 1, after_process - 1, -1)
                           if is_heading(lines[i].text) and not NUMBERED_RE.match(lines[i].text)
                           and not self._is_question(i)), None)
        if section_at is None:
            raise self.fail("question before any section heading", lines[p].text, lines[q1])
        if INTERVIEW_QUESTIONS_RE.search(lines[section_at].text):
            raise self.fail("question before any section heading", lines[section_at].text,
                            lines[q1])
        qh = self._questions_heading(after_process, section_at)
        if qh is None:
            raise self.fail(
                f"no questions heading ('{prefix} Interview Questions') before the first "
                f"question section {lines[section_at].text!r} (line {lines[section_at].no})",
                "Interview Questions", lines[section_at])
        tips = self._tips(after_process, qh) if after_process < qh else []
        end = table if table is not None else len(lines)
        questions = self._questions(qh, section_at, end)
        company, role = split_company_role(prefix, "\n".join(x.text for x in lines))
        return ParsedGuide(
            company=company, role=role, overview=self._overview(t + 1, p),
            source=GuideSource(file=self.source_file,
                               sha256=hashlib.sha256(self.text.encode("utf-8")).hexdigest(),
                               title=lines[t].text),
            stages=stages, topics=topics, tips=tips, questions=questions,
        )

    def _find(self, start: int, test: object) -> int | None:
        assert callable(test)
        return next((i for i in range(start, len(self.lines)) if test(self.lines[i].text)), None)

    def _title(self) -> tuple[int, re.Match[str]]:
        for i, line in enumerate(self.lines[:TITLE_SEARCH_LINES]):
            match = TITLE_RE.match(line.text)
            if match:
                return i, match
        first = self.lines[0]
        raise self.fail(
            "first line must read '<Company> <Role> Interview Questions + Guide in <year>', "
            f"got {first.text[:80]!r}", "title", first)

    def _table(self, start: int) -> tuple[list[Topic], int | None]:
        """The topic table's rows, and where it starts when it ends the guide's text. A table
        placed before the questions (or anywhere before the last question) is taken out of
        the lines, so the parts around it read as if it were not there."""
        at = next((i for i in range(start, len(self.lines)) if _is_table(self.lines[i])), None)
        if at is None:
            return [], None
        topics, after = self._topics(at)
        if self._first_question(after) is None:
            return topics, at  # at the end, as usual: the page's trailing text follows it
        del self.lines[at:after]
        return topics, None

    def _overview(self, start: int, end: int) -> str:
        body = self.lines[start:end]
        return "\n\n".join(x.text for x in body if not is_heading(x.text)
                           and x.text.lower().rstrip(":") not in OVERVIEW_HEADINGS)

    def _stages(self, p: int) -> tuple[list[GuideStage], int]:
        """The numbered stages after the process heading; returns them and the index of the
        heading that ends the section. A process without numbers takes its sub-headings up to
        the tips (or questions) heading as the stages."""
        heading = self.lines[p]
        items: list[tuple[_Line, str, list[str]]] = []  # (line, name, paragraphs)
        unnumbered = self._unnumbered_stages(p)
        if unnumbered is not None:
            items, i = unnumbered
            return self._stage_list(heading, items), i
        i = p + 1
        while i < len(self.lines):
            line = self.lines[i]
            match = NUMBERED_RE.match(line.text)
            if match:
                order = len(items) + 1
                if int(match["n"]) != order:
                    raise self.fail(f"stage numbered {match['n']} where {order} was expected",
                                    heading.text, line)
                name, first = _stage_name(match["text"])
                items.append((line, name, [first] if first else []))
            elif is_heading(line.text) or is_label(line.text) or _is_table(line):
                if items:
                    break
                if is_label(line.text) or _is_table(line) or \
                        QUESTIONS_RE.search(line.text):
                    raise self.fail("the interview process lists no numbered stages "
                                    "('1. <Stage>' lines)", heading.text, line)
                # a sub-heading in the intro, before the first stage: skipped
            elif items:
                items[-1][2].append(line.text)
            i += 1
        if not items:
            raise self.fail("the interview process lists no numbered stages ('1. <Stage>' lines)",
                            heading.text, heading)
        return self._stage_list(heading, items), i

    def _stage_list(self, heading: _Line, items: list[tuple[_Line, str, list[str]]]
                    ) -> list[GuideStage]:
        for line, _, paragraphs in items:
            if not paragraphs:
                raise self.fail(f"{line.text!r} has no paragraph after it", heading.text, line)
        items[-1] = (items[-1][0], items[-1][1], _without_closing(items[-1][2]))
        stages = [GuideStage(id=slugify(name), order=k, name=name,
                             description="\n\n".join(paragraphs))
                  for k, (_, name, paragraphs) in enumerate(items, 1)]
        _unique([s.id for s in stages], heading, "stage")
        return stages

    def _unnumbered_stages(self, p: int) -> tuple[list[tuple[_Line, str, list[str]]], int] | None:
        """Stages written as plain sub-headings: only when no numbered line comes before the
        tips heading (or the first question), and at least two headings carry paragraphs."""
        end = next((i for i in range(p + 1, len(self.lines))
                    if is_heading(self.lines[i].text) and TIPS_HEADING_RE.search(
                        self.lines[i].text)), None)
        if end is None:
            end = self._first_question(p + 1) or len(self.lines)
        body = range(p + 1, end)
        if any(NUMBERED_RE.match(self.lines[i].text) for i in body):
            return None
        items: list[tuple[_Line, str, list[str]]] = []
        for i in body:
            line = self.lines[i]
            if is_heading(line.text):
                if QUESTIONS_RE.search(line.text):
                    end = i
                    break
                items.append((line, line.text, []))
            elif items:
                items[-1][2].append(line.text)
        items = [item for item in items if item[2]]
        return (items, end) if len(items) >= 2 else None

    def _is_question(self, i: int) -> bool:
        if not NUMBERED_RE.match(self.lines[i].text):
            return self._is_unnumbered_question(i)
        for j in range(i + 1, min(i + 1 + QUESTION_LOOKAHEAD, len(self.lines))):
            text = self.lines[j].text
            if HOW_RE.match(text):
                return True
            if NUMBERED_RE.match(text) or EXAMPLE_RE.match(text) or _is_table(self.lines[j]):
                return False
        return False

    def _is_unnumbered_question(self, i: int) -> bool:
        if not reads_as_question(self.lines[i].text) or _is_table(self.lines[i]):
            return False
        for j in range(i + 1, min(i + 2 + UNNUMBERED_CONTEXT, len(self.lines))):
            text = self.lines[j].text
            if HOW_RE.match(text):
                return True
            if (NUMBERED_RE.match(text) or is_label(text) or is_heading(text)
                    or _is_table(self.lines[j]) or reads_as_question(text)):
                return False
        return False

    def _first_question(self, start: int) -> int | None:
        return next((i for i in range(start, len(self.lines)) if self._is_question(i)), None)

    def _questions_heading(self, start: int, section_at: int) -> int | None:
        found = [i for i in range(start, section_at)
                 if is_heading(self.lines[i].text) and QUESTIONS_RE.search(self.lines[i].text)]
        best = [i for i in found if INTERVIEW_QUESTIONS_RE.search(self.lines[i].text)]
        chosen = best or found
        return chosen[-1] if chosen else None

    def _tips(self, start: int, end: int) -> list[Tip]:
        heading = self.lines[start]
        items: list[tuple[_Line, list[str]]] = []
        for line in self.lines[start + 1:end]:
            if is_heading(line.text) or NUMBERED_RE.match(line.text):
                items.append((line, []))
            elif items:
                items[-1][1].append(line.text)
            # else: the intro before the first tip
        for line, paragraphs in items:
            numbered = NUMBERED_RE.match(line.text)
            if not paragraphs and not (numbered and _title_and_text(numbered["text"])[1]):
                raise self.fail(f"{line.text!r} has no paragraph after it", heading.text, line)
        if items:
            last, paragraphs = items[-1]
            numbered = NUMBERED_RE.match(last.text)
            if numbered and _title_and_text(numbered["text"])[1]:  # its text is on its line
                paragraphs = _without_closing(["", *paragraphs])[1:]
            items[-1] = (last, _without_closing(paragraphs))
        tips = []
        for line, paragraphs in items:
            match = NUMBERED_RE.match(line.text)
            title, first = _title_and_text(match["text"]) if match else (line.text, "")
            text = "\n\n".join([first] * bool(first) + paragraphs)
            tips.append(Tip(id=slugify(title), title=title, text=text))
        _unique([t.id for t in tips], heading, "tip")
        return tips

    def _questions(self, qh: int, start: int, end: int) -> list[GuideQuestion]:
        heading = self.lines[qh]
        questions: list[GuideQuestion] = []
        counts: dict[str, int] = {}
        section: _Line | None = None
        last_question = max(i for i in range(start, end) if self._is_question(i))
        i = start
        while i < end:
            line = self.lines[i]
            if i > last_question and not self._is_question(i) and \
                    (is_heading(line.text) or NUMBERED_RE.match(line.text)):
                break  # page junk after the last question ("View all ... questions", jobs)
            if self._is_question(i):
                if section is None:
                    raise self.fail("question before any section heading", heading.text, line)
                q, i = self._question(section, i, end, counts, len(questions))
                questions.append(q)
                continue
            if is_label(line.text):
                raise self.fail(f"{line.text!r} without a question before it",
                                section.text if section else heading.text, line)
            if NUMBERED_RE.match(line.text):
                raise self._no_how_to_answer(i, section or heading)
            if is_heading(line.text):
                if section is not None and counts[section.text] == 0:
                    nxt = self.lines[i - 1]
                    if not is_heading(nxt.text) or nxt is not section:
                        raise self.fail("section has no questions", section.text, section)
                    # a group heading directly followed by its first sub-section: kept apart
                    del counts[section.text]
                if line.text in counts:
                    raise self.fail("section heading repeated", line.text, line)
                section = line
                counts[line.text] = 0
            # else: a paragraph introducing the part or a section (not a question's): skipped
            i += 1
        if section is not None and counts.get(section.text) == 0:
            raise self.fail("section has no questions", section.text, section)
        _unique([q.id for q in questions], heading, "question")
        return questions

    def _question(self, section: _Line, i: int, end: int, counts: dict[str, int],
                  so_far: int) -> tuple[GuideQuestion, int]:
        line = self.lines[i]
        match = NUMBERED_RE.match(line.text)
        number = counts[section.text] + 1
        if match is not None and int(match["n"]) not in (number, so_far + 1):
            raise self.fail(f"question numbered {match['n']} where {number} (numbered per "
                            f"section) or {so_far + 1} (straight through) was expected",
                            section.text, line)
        text = match["text"] if match is not None else line.text
        counts[section.text] = number
        i += 1
        intent: list[str] = []
        while i < end and not HOW_RE.match(self.lines[i].text):
            intent.append(self.lines[i].text)
            i += 1
        i += 1  # "How to Answer" (_is_question checked it is there)
        how: list[str] = []
        while i < end and not EXAMPLE_RE.match(self.lines[i].text):
            nxt = self.lines[i]
            if how and nxt.text[:1] in QUOTES:  # a quoted example without its "Example" label
                i -= 1
                break
            if self._stops(i):
                raise self.fail(f"question at line {line.no} has no 'Example' (found "
                                f"{nxt.text[:60]!r})", section.text, nxt)
            how.append(nxt.text)
            i += 1
        if i >= end:
            raise self.fail(f"question at line {line.no} has no 'Example', the section ended",
                            section.text, self.lines[end - 1])
        if not how:
            raise self.fail(f"expected the 'How to Answer' paragraph after line {line.no}",
                            section.text, self.lines[i])
        example, i = self._example(section, i, end)
        q = GuideQuestion(id=f"{slugify(section.text)}-{number}", section=section.text,
                          question=text, intent="\n\n".join(intent),
                          how_to_answer="\n\n".join(how), example_answer=example)
        return q, i

    def _no_how_to_answer(self, i: int, section: _Line) -> GuideParseError:
        """A numbered line that is not followed by "How to Answer": name the line where the
        label was expected (just before its "Example", when there is one)."""
        line = self.lines[i]
        for j in range(i + 1, min(i + 1 + QUESTION_LOOKAHEAD, len(self.lines))):
            if EXAMPLE_RE.match(self.lines[j].text):
                at = self.lines[max(j - 1, i + 1)] if j > i + 1 else self.lines[j]
                return self.fail(f"question at line {line.no} has no 'How to Answer' (found "
                                 f"{at.text[:60]!r})", section.text, at)
            if NUMBERED_RE.match(self.lines[j].text):
                break
        return self.fail(f"numbered line {line.text[:60]!r} is not followed by 'How to Answer'",
                         section.text, line)

    def _stops(self, i: int) -> bool:
        """Where a question's text ends: the next question, heading, label or the table."""
        text = self.lines[i].text
        return (self._is_question(i) or NUMBERED_RE.match(text) is not None or is_label(text)
                or is_heading(text) or _is_table(self.lines[i]))

    def _example(self, section: _Line, label_at: int, end: int) -> tuple[str, int]:
        """The example answer after its label, without its outer quotes; returns it and the
        index after it."""
        label = self.lines[label_at]
        i = label_at + 1
        if i >= end or (self._stops(i) and self.lines[i].text[:1] not in QUOTES):
            found = f"found {self.lines[i].text[:60]!r}" if i < end else "the section ended"
            raise self.fail(f"expected the example answer after line {label.no}, {found}",
                            section.text, self.lines[i] if i < end else label)
        first = self.lines[i]
        closing = QUOTES.get(first.text[0])
        if closing is None:
            parts = []
            while i < end and not self._stops(i):
                parts.append(self.lines[i].text)
                i += 1
            return "\n\n".join(parts), i
        parts = [first.text[1:]]
        i += 1
        while not _closes(parts[-1], closing):
            if i >= end or self._is_question(i) or is_label(self.lines[i].text) or \
                    _is_table(self.lines[i]):
                raise self.fail("the example answer's quote is never closed", section.text,
                                first)
            parts.append(self.lines[i].text)
            i += 1
        last = parts[-1].rstrip()
        parts[-1] = last[: last.rfind(closing)]
        return "\n\n".join(parts), i

    def _topics(self, at: int) -> tuple[list[Topic], int]:
        """The rows after the table's header; returns them and the index after the last."""
        header = self.lines[at]
        topics: list[Topic] = []
        body = [x.text for x in self.lines[at + 1:]]
        i = 0
        while i < len(body):
            cells = [c.strip() for c in re.split(r"\t+|\s\|\s|\s{3,}", body[i]) if c.strip()]
            if len(cells) == 3 and _is_row(*cells):
                topics.append(Topic(name=cells[0], difficulty=cells[1], ask_chance=cells[2]))
                i += 1
                continue
            if i + 2 < len(body) and _is_row(*body[i:i + 3]):
                topics.append(Topic(name=body[i], difficulty=body[i + 1],
                                    ask_chance=body[i + 2]))
                i += 3
                continue
            break  # the table ends where the page's trailing junk starts
        if not topics:
            raise self.fail("the topic table has no 'name / difficulty / ask chance' rows",
                            header.text, header)
        return topics, at + 1 + i


INLINE_LABEL_RE = re.compile(
    r"^(?P<label>how\s+to\s+answer|example(?:\s+answer)?|sample\s+answer)\s*:\s+(?P<rest>\S.*)$",
    re.IGNORECASE)


def _split_inline_label(line: _Line) -> list[_Line]:
    """'How to Answer: Explain...' and 'Example: “...”' as a label line and a paragraph."""
    m = INLINE_LABEL_RE.match(line.text)
    if m is None:
        return [line]
    if not m["label"].lower().startswith("how") and m["rest"][:1] not in QUOTES:
        return [line]
    return [_Line(line.no, m["label"]), _Line(line.no, m["rest"])]


LEVELS = DIFFICULTIES | ASK_CHANCES  # "Low/Medium" is a difficulty too


def is_level(text: str, levels: set[str]) -> bool:
    """'Medium', or a range of two levels: 'Medium/High', 'Easy - Medium', 'Low to Medium'."""
    parts = [p for p in LEVEL_RANGE_RE.split(text.strip().lower()) if p]
    if not 1 <= len(parts) <= 2:
        return False
    return parts[0] in levels if len(parts) == 1 else all(p in LEVELS for p in parts)


def _is_row(name: str, difficulty: str, chance: str) -> bool:
    return (is_level(difficulty, DIFFICULTIES) and is_level(chance, ASK_CHANCES)
            and not is_level(name, LEVELS))


def _closes(text: str, closing: str) -> bool:
    text = text.rstrip()
    return text.endswith(closing) or (text[-1:] in ".!" and text[:-1].endswith(closing))


def _stage_name(text: str) -> tuple[str, str]:
    """'Initial Screening' -> (name, ''); 'Initial Screening: The call...' -> (name, text)."""
    for sep in (": ", " - ", " \u2013 ", " \u2014 "):
        name, found, rest = text.partition(sep)
        if found and rest and len(name.split()) <= STAGE_NAME_WORDS and \
                len(rest.split()) > STAGE_NAME_WORDS:
            return name.strip(), rest.strip()
    return text, ""


def _title_and_text(text: str) -> tuple[str, str]:
    """A numbered tip 'Research the Company: Learn what it sells.' -> (title, text)."""
    for sep in (": ", " - ", " \u2013 ", " \u2014 "):
        name, found, rest = text.partition(sep)
        if found and rest.strip() and len(name.split()) <= STAGE_NAME_WORDS:
            return name.strip(), rest.strip()
    return text, ""


def _without_closing(paragraphs: list[str]) -> list[str]:
    """The last item keeps its first paragraph and the ones after it up to a closing remark."""
    kept = paragraphs[:1]
    for p in paragraphs[1:]:
        if is_closing(p):
            break
        kept.append(p)
    return kept


def _unique(ids: list[str], heading: _Line, what: str) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise GuideParseError(f"duplicate {what} ids {dupes}", section=heading.text,
                              line=heading.no)


def split_company_role(prefix: str, body: str) -> tuple[str, str]:
    """The title joins company and role; the body tells them apart. Each way to split the title
    scores the phrases that name a company or a role; ties (and no evidence) keep the first
    word as the company."""
    words = prefix.split()
    if len(words) < 2:
        raise GuideParseError(f"title must name a company and a role, got {prefix!r}",
                              section="title", line=1)
    best, best_score = 1, 0.0
    for k in range(1, len(words)):
        company, role = " ".join(words[:k]), " ".join(words[k:])
        c, r = re.escape(company), re.escape(role)
        strong = [rf"\b{r}s? (?:role |position |job )?at {c}\b", rf"\bWhat {c} Looks for\b",
                  rf"\bat {c} (?:is|are|was|typically|usually|generally)\b"]
        medium = [rf"\b{c} is (?:a|an|the|one)\b", rf"\b{c}['\u2019]s?\b(?! {re.escape(words[k])})",
                  rf"\b(?:at|join|joining|for) {c}\b(?! {re.escape(words[k])})",
                  rf"\b(?:a|an|the) {r}\b", rf"\bAs an? {r}\b"]
        score = sum(3.0 for pat in strong if re.search(pat, body))
        score += sum(1.0 for pat in medium if re.search(pat, body))
        if score > best_score:
            best, best_score = k, score
    return " ".join(words[:best]), " ".join(words[best:])
