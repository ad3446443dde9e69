"""The offline interviewer: the pack's questions and follow-ups with written transitions.

It is the default when no model is configured, and the fallback whenever LLM text fails the
guard, so every LLM task has an offline text here. Texts vary with the question number (not at
random) so a seeded session reads the same every time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, Field

from interviewer.core.agents import OFFLINE
from interviewer.core.findings import format_findings
from interviewer.core.grade import Grade
from interviewer.core.pack import Question, Stage
from interviewer.interview.guard import DerailKind, find_leak
from interviewer.interview.probe import REDIRECT, Probe

Task = Literal["opening", "lead_in", "follow_up", "hint", "clarify", "derail", "transition",
               "closing"]

_NAMES = {"recruit": "Alex", "review": "Sam", "engineer": "Priya", "manager": "Jordan",
          "leader": "Morgan", "director": "Morgan", "head": "Morgan"}
_ROLE_BY_ORDER = ["recruiter", "take-home reviewer", "ML engineer", "hiring manager",
                  "senior leader"]

__all__ = ["REDIRECT", "ComposeRequest", "Composed", "OfflineInterviewer"]


class ComposeRequest(BaseModel):
    """Everything an interviewer may need to say one thing. Hidden fields stay hidden."""

    task: Task
    pack: str = ""
    company: str
    role: str
    stage: Stage
    next_stage: Stage | None = None
    question: Question | None = None
    question_number: int = 0  # 1-based in the session
    questions_in_stage: int = 0
    answers: list[str] = Field(default_factory=list)  # the candidate's answers to this question
    missed: list[str] = Field(default_factory=list)  # hidden: key points not covered yet
    # the grader found the answer fits another question of the section better than this one
    other_question: bool = False
    used_follow_ups: list[str] = Field(default_factory=list)
    # the follow-up the grade calls for (interview/probe.py): its target and offline words
    probe: Probe | None = None
    stage_question_number: int = 0  # 1-based within the stage (0: not given)
    stage_number: int = 0  # 1-based position of the stage in the session (0: not given)
    stages_total: int = 1
    questions_total: int = 0  # in the whole session
    # how the previous question went, so a lead-in matches it: its final score, or skipped
    last_score: float | None = None
    last_skipped: bool = False
    mode: str = "practice"
    hint_number: int = 0
    candidate_text: str = ""  # a clarifying question or derail attempt
    derail: DerailKind | None = None
    ended_early: bool = False
    full_loop: bool = False


class Composed(BaseModel):
    """The final text of one reply and how it was produced."""

    text: str | None  # None: nothing to say (e.g. no follow-up left)
    interviewer: str = OFFLINE
    prompt_version: str | None = None
    fallback: bool = False
    fallback_reason: str | None = None


def persona_of(stage: Stage) -> str:
    if stage.persona.strip():
        return stage.persona.strip()
    return _ROLE_BY_ORDER[(stage.order - 1) % len(_ROLE_BY_ORDER)]


def persona_name(stage: Stage) -> str:
    persona = persona_of(stage).lower()
    for key, name in _NAMES.items():
        if key in persona:
            return name
    return ["Alex", "Sam", "Priya", "Jordan", "Morgan"][(stage.order - 1) % 5]


# Lead-ins by how the previous question went; the question number picks one, so a seeded
# session reads the same every time. Interview mode keeps its judgement to itself.
LEAD_INS = {
    "first": ["Let's start."],
    "strong": ["Good, let's keep going.", "Nice. Here's the next one."],
    "neutral": ["Thanks. Next question.", "Okay, let's move on.", "Thank you. Here's another one."],
    "weak": ["Okay, let's try a different one.", "Let's move on to something else."],
    "skipped": ["No problem, let's try another one.", "That's fine, let's move on."],
}
STRONG_SCORE = 4.0  # a previous grade at or above this earns a "Good" in practice mode
WEAK_SCORE = 2.5  # under this, the lead-in moves on without praise
FOCUS_ITEMS = 3  # how many of a stage's focus areas its opening names
HELP_LINE = ("Answer in your own words; type /hint for a nudge, /skip to move on, /repeat to "
             "hear the question again, /end to finish.")


class OfflineInterviewer:
    """Written texts; never calls a model. `compose` yields one chunk and then the Composed."""

    name = OFFLINE

    def compose(self, req: ComposeRequest) -> Iterator[str | Composed]:
        result = self.write(req)
        if result.text:
            yield result.text
        yield result

    def write(self, req: ComposeRequest) -> Composed:
        text = getattr(self, f"_{req.task}")(req)
        return Composed(text=text)

    # --- one method per task ---------------------------------------------------------------------

    def _opening(self, req: ComposeRequest) -> str:
        s = req.stage
        who = f"I'm {persona_name(s)}, {persona_at(persona_of(s), req.company)}"
        fmt = f" ({s.format})" if s.format else ""
        count = req.questions_in_stage
        plan = ("I'll ask you 1 question, so take your time with it." if count == 1 else
                f"I'll ask you {count} questions, one at a time.")
        cover = f" We'll cover {_listed(s.focus[:FOCUS_ITEMS])}." if s.focus else ""
        loop = ""
        if req.full_loop and req.stages_total > 1:
            if req.stage_number <= 1:
                total = f", {req.questions_total} questions in all" if req.questions_total else ""
                loop = (f" This is the full loop: {req.stages_total} stages{total}, each with "
                        "its own interviewer. This is stage 1.")
            else:
                loop = f" This is stage {req.stage_number} of {req.stages_total}."
            plan = ("In this stage I'll ask you 1 question." if count == 1 else
                    f"In this stage I'll ask you {count} questions, one at a time.")
        return (f"Hi, {who}. Welcome to the {s.name}{fmt} for the {req.role} role.{cover}"
                f"{loop} {plan} {HELP_LINE}")

    def _lead_in(self, req: ComposeRequest) -> str:
        if req.question and req.question.kind == "take_home":
            return ("Here's the take-home brief. Upload your submission as it describes, or walk "
                    "me through how you would approach it.")
        return lead_in_text(req)

    def _follow_up(self, req: ComposeRequest) -> str | None:
        """The grade's probe (chosen by the session from the grade, interview/probe.py)."""
        if req.question is None or req.probe is None:
            return None
        return req.probe.text

    def _hint(self, req: ComposeRequest) -> str:
        q = req.question
        if q is None:
            return "There is no open question right now."
        candidates = [*q.hints]
        candidates.append(f"Think about why an interviewer asks this: {q.intent.strip()}")
        candidates.append(_structure_hint(q, req.company))
        for i, hint in enumerate(candidates):
            if i < req.hint_number:
                continue
            if not find_leak(hint, q).leaked:
                return hint
        return "That's all the hints I have for this one. Give it your best shot, or /skip."

    def _clarify(self, req: ComposeRequest) -> str:
        return clarify_text(req)

    def _derail(self, req: ComposeRequest) -> str:
        q = req.question.question if req.question else ""
        who = persona_of(req.stage)
        if req.derail == "grade":
            lead = ("The grade comes from your answer and the rubric, not from a request. "
                    "Show me what you know and it will speak for itself.")
        elif req.derail == "reveal":
            lead = ("I can't share the answer: this is your chance to show how you think. "
                    "If you're stuck, type /hint for a nudge or /skip to move on.")
        else:
            lead = f"I'll stay in my role as your {who} today. Let's keep going."
        return f"{lead} The question: {q}" if q else lead

    def _transition(self, req: ComposeRequest) -> str:
        nxt = req.next_stage
        if nxt is None:
            return f"That wraps up the {req.stage.name}. Thank you."
        who = f"{persona_name(nxt)}, {with_article(persona_of(nxt))}"
        if persona_name(nxt) == persona_name(req.stage):
            who = f"my colleague {who}"
        return (f"That wraps up the {req.stage.name}. Thank you. I'll hand you over to {who}, "
                f"for the {nxt.name}.")

    def _closing(self, req: ComposeRequest) -> str:
        scope = "the interview loop" if req.full_loop else f"the {req.stage.name}"
        if req.ended_early:
            return f"Let's stop here. Thank you for your time on {scope}. Here is your summary."
        return (f"That's the end of {scope}. Thank you for your time; it was good talking "
                "with you. Here is your summary.")


def lead_in_text(req: ComposeRequest) -> str:
    """Words before a question that match what just happened: a stage's first question starts
    it, a skip is taken in stride, and only a strong answer (in practice mode) earns "Good"."""
    first = req.stage_question_number == 1 if req.stage_question_number else \
        req.question_number <= 1
    if first:
        return LEAD_INS["first"][0]
    if req.last_skipped:
        mood = "skipped"
    elif req.last_score is None or req.mode == "interview":
        mood = "neutral"
    elif req.last_score >= STRONG_SCORE:
        mood = "strong"
    elif req.last_score < WEAK_SCORE:
        mood = "weak"
    else:
        mood = "neutral"
    options = LEAD_INS[mood]
    return options[req.question_number % len(options)]


# What /clarify says about a question's scope, by the kind of question.
SCOPE = {
    "technical": ("Think of a real production system rather than a textbook or notebook setting, "
                  "and say which assumptions you make."),
    "behavioral": ("Pick one real situation from your own work, recent if you can, and tell me "
                   "what you did yourself."),
    "conversational": ("It's about your own experience and reasons; a couple of minutes is "
                       "plenty."),
    "take_home": ("Assume the data described in the brief; where it is silent, make a sensible "
                  "assumption and write it down."),
}
_EITHER = re.compile(r"\bor\b|\beither\b|\bwhich one\b", re.IGNORECASE)
_MAY_I = re.compile(r"^\s*(?:\S+\s+){0,4}?(can i assume|may i assume|should i|"
                    r"is it (?:ok|okay|fine)|do you want me to|can i)\b", re.IGNORECASE)


def clarify_text(req: ComposeRequest) -> str:
    """An answer to a clarifying question: what the question is after and its scope, never a
    refusal and never the answer (its words are checked against the example answer and key
    points, and the question's intent is left out when it would give part of them away)."""
    q = req.question
    if q is None:
        return "There is no open question right now."
    asked = req.candidate_text.strip()
    parts = ["Good question."]
    if _EITHER.search(asked):
        parts.append("Either reading works: take the one closest to your own experience and "
                     "say which you chose.")
    elif _MAY_I.search(asked):
        parts.append("That's your call: state the assumption and go ahead with it.")
    intent = " ".join(q.intent.split())
    if intent:
        said = f"Some context on why I'm asking: {intent}"
        if not said.endswith((".", "!")):
            said += "."
        if not find_leak(said, q).leaked:
            parts.append(said)
    parts.append(SCOPE.get(q.kind, SCOPE["technical"]))
    return " ".join(parts)


def _listed(items: list[str]) -> str:
    items = [i.strip().rstrip(".") for i in items if i.strip()]
    if len(items) <= 1:
        return "".join(items)
    return "; ".join(items[:-1]) + "; and " + items[-1]


def with_article(persona: str) -> str:
    """"ML engineer" -> "an ML engineer"; a persona written with its article keeps it."""
    if persona.lower().startswith(("a ", "an ", "the ")):
        return persona
    return f"{article(persona)} {persona}"


def is_generic(company: str) -> bool:
    """A pack not tied to a company names itself e.g. "Generic ML/DS interview": no "at X"."""
    return not company.strip() or re.search(r"\bgeneric\b", company, re.IGNORECASE) is not None


def persona_at(persona: str, company: str) -> str:
    """"an ML engineer at Kraken"; the company goes before a relative clause ("a screener at
    Acme who keeps a brisk pace") and is left out for a generic pack."""
    phrase = with_article(persona)
    if is_generic(company):
        return phrase
    head, sep, tail = phrase.partition(" who ")
    return f"{head} at {company.strip()}{sep}{tail}"


def article(word: str) -> str:
    if word[:2].isupper():  # an acronym: "an ML engineer"
        return "an" if word[0] in "AEFHILMNORSX" else "a"
    return "an" if word[:1].lower() in "aeiou" else "a"


def _structure_hint(q: Question, company: str) -> str:
    if q.kind == "behavioral":
        return ("Tell one real story with STAR: the situation, your task, the actions you took "
                "yourself, and a measurable result, then what you learned.")
    if q.kind == "conversational":
        where = "the company" if is_generic(company) else company
        return (f"Be specific: connect your own experience and motivation to {where} and this "
                "role, with one or two concrete examples.")
    if q.kind == "take_home":
        return ("Walk through it as you would in the write-up: assumptions, data checks, a simple "
                "baseline first, how you'd evaluate it, and what you'd harden before production.")
    return ("Structure it: say what the idea is in a sentence, how it works, when you'd use it "
            "versus an alternative, and a concrete example from your own work.")


def _joined(items: list[str]) -> str:
    """Items that end in a full stop read as sentences; joining them with ";" gave ".;"."""
    return "; ".join(x.strip().rstrip(".") for x in items) + "."


def feedback_text(grade: Grade, question: Question, *, partial: bool = False) -> str:
    """Practice-mode feedback. `partial`: a follow-up comes next, so keep the gaps to yourself."""
    lines = [f"Score: {grade.score:.1f}/5"]
    crit = ", ".join(f"{c.name} {c.score}" for c in grade.criteria)
    if crit:
        lines.append(f"Criteria: {crit}")
    if grade.findings:  # a take-home reviewed as code
        lines.append("Findings in the code, most serious first:")
        lines += [f"  {x}" for x in format_findings(grade.findings)]
    covered = [k.point for k in grade.covered]
    if covered:
        lines.append("Covered: " + _joined(covered))
    if grade.corrected:
        claims = "; ".join(f"\u201c{w.text.rstrip('. ')}\u201d" for w in grade.corrected)
        lines.append(f"Corrected in your follow-up: {claims}. It no longer caps the grade.")
    if partial:
        lines.append("Full feedback and the example answer come after the follow-up.")
        return "\n".join(lines)
    missed = [k.point for k in grade.missed]
    if missed:
        lines.append("Missed: " + _joined(missed))
    unchecked = [k.point for k in grade.unchecked]
    if unchecked:
        lines.append("Check yourself (the grader cannot tell): " + _joined(unchecked))
    # the grader's strengths and gaps, less the key points listed just above
    strengths = [x for x in grade.strengths if not x.startswith("Covers: ")]
    gaps = [x for x in grade.gaps if not x.startswith("Missing: ")]
    if strengths:
        lines.append("Strengths: " + _joined(strengths))
    if gaps:
        lines.append("Gaps: " + _joined(gaps))
    if grade.next_step:
        lines.append(f"Next step: {grade.next_step}")
    lines.append(f"Example answer: {question.example_answer.strip()}")
    return "\n".join(lines)
