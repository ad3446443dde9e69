"""Guards around the conversation: what the candidate's input is, and whether interviewer text
may be shown (no leak of the example answer or key points before an answer, one question).

The leak check is lexical on purpose: near-verbatim copying is what a small or derailed model
does, and a word n-gram check catches it cheaply and predictably. Phrases that already appear in
the question itself are allowed (a hint may repeat the question's words).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel

from interviewer.core.pack import Question
from interviewer.core.text import content_tokens, normalise_for_checks, singular, tokens

InputKind = Literal["command", "derail", "clarify", "answer", "empty"]
DerailKind = Literal["override", "reveal", "grade"]

# Only short messages count as derails: a long answer that also contains an injection is an
# answer, and the grader (told to treat answers as data) deals with it.
DERAIL_MAX_CHARS = 400

_DERAIL: list[tuple[DerailKind, re.Pattern[str]]] = [
    ("override", re.compile(
        r"\b(ignore|forget|disregard|override|bypass)\b.{0,25}\b(instructions?|prompts?|rules|"
        r"guidelines|programming)\b|\b(system prompt|developer mode|jailbreak|dan mode)\b|"
        r"\byou are now (a|an|the|in|my)\b|\bpretend (to be|you are|you're)\b|"
        r"\b(stop|quit) (being|acting as) (an? |the )?interviewer\b", re.I | re.S)),
    ("reveal", re.compile(
        r"\b(tell|give|show|send|share|reveal|read|print)\b (me|us)\b.{0,25}\b(answers?|"
        r"solution|key ?points?|rubric|example)\b|\breveal (the|your) (answers?|solution|"
        r"key ?points?|rubric)\b|\bwhat(?:'s| is) the (\w+ )?answer\b|\bjust answer it\b",
        re.I | re.S)),
    ("grade", re.compile(
        r"\b(grade|score|rate|mark)\b (me|this|my answer|it|the answer)\b.{0,20}\b([1-5]|five|"
        r"full marks|perfect|top marks|highest)\b|\bgive me (a |an )?([1-5]|five|full marks|"
        r"perfect( score)?|top marks)\b", re.I | re.S)),
]

_CLARIFY = re.compile(
    # a short polite lead-in ("Sorry, ", "Just to check: ") may come first
    r"^\s*((sorry|excuse me|ok|okay|so|hmm|quick question|just to (check|confirm|be clear)|"
    r"before i (answer|start))\b[\s,.:;!-]*)*"
    r"(what (exactly )?do you mean|do you mean|what (exactly )?(would|do) you (like|want)|"
    r"(could|can|would) you (please )?(clarify|explain|rephrase|elaborate|repeat)|"
    r"should i|is (it|this|that) (ok|okay|fine)|are you asking|do you want me to|"
    r"by .{1,40} do you mean|which one|how long should|can i assume|may i assume)\b", re.I)
CLARIFY_MAX_CHARS = 240


def derail_kind(text: str) -> DerailKind | None:
    if len(text) > DERAIL_MAX_CHARS:
        return None
    for kind, pattern in _DERAIL:
        if pattern.search(text):
            return kind
    return None


def looks_like_clarification(text: str) -> bool:
    t = text.strip()
    return len(t) <= CLARIFY_MAX_CHARS and t.endswith("?") and bool(_CLARIFY.match(t))


class ParsedInput(BaseModel):
    kind: InputKind
    command: str | None = None  # "/hint" ... (lower case), for kind "command"
    argument: str = ""  # the rest of a command line, e.g. /clarify's question
    derail: DerailKind | None = None
    text: str = ""


# the harmless commands as a bare word ("end" is left out: an interview ended by a one-word
# answer would be a loss; it needs its slash)
_BARE_COMMAND = re.compile(r"(hint|skip|repeat|help)(?:\s+please)?[.!?]*", re.IGNORECASE)


def parse_input(text: str) -> ParsedInput:
    """Classify one message from the candidate. Commands are a `/word` at the start.

    Matching runs on `normalise_for_checks(text)`, so full-width letters, zero-width characters,
    bidi overrides and look-alike letters do not hide a derail; `text` stays as written. A
    `/clarify` whose question is a derail is a derail (the command is no way around the check).
    """
    stripped = normalise_for_checks(text).strip()
    if not stripped:
        return ParsedInput(kind="empty", text=text)
    if re.match(r"^/[A-Za-z?]+(\s|$)", stripped):
        head, _, rest = stripped.partition(" ")
        command, argument = head.lower(), rest.strip()
        derail = derail_kind(argument) if command == "/clarify" and argument else None
        if derail:
            return ParsedInput(kind="derail", derail=derail, text=text)
        return ParsedInput(kind="command", command=command, argument=argument, text=text)
    bare = _BARE_COMMAND.fullmatch(stripped)
    if bare:  # "hint" typed without its slash is never an answer (QA: it was graded as one)
        return ParsedInput(kind="command", command="/" + bare.group(1).lower(), text=text)
    derail = derail_kind(stripped)
    if derail:
        return ParsedInput(kind="derail", derail=derail, text=text)
    if looks_like_clarification(stripped):
        return ParsedInput(kind="clarify", text=text)
    return ParsedInput(kind="answer", text=text)


# --- leak and shape checks on interviewer text ---------------------------------------------------

def _words(text: str) -> list[str]:
    return [singular(w) for w in tokens(text)]


def _content(text: str) -> list[str]:
    return content_tokens(text)


def _ngrams(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


class LeakReport(BaseModel):
    leaked: bool
    source: Literal["example_answer", "key_point"] | None = None
    overlap: str | None = None


def find_leak(text: str, question: Question, *, allowed: Iterable[str] = ()) -> LeakReport:
    """Does `text` repeat the example answer or a key point (near-)verbatim?

    Example answer: any shared run of 4 content words. Key point: a run of min(3, its length)
    content words, for key points with at least 2. Runs also present in the question (or
    `allowed`) do not count.
    """
    said = _content(text)
    ok: set[tuple[str, ...]] = set()
    for a in (question.question, *allowed):
        words = _content(a)
        for n in (2, 3, 4):
            ok |= _ngrams(words, n)
    leaked = (_ngrams(said, 4) & _ngrams(_content(question.example_answer), 4)) - ok
    if leaked:
        return LeakReport(leaked=True, source="example_answer", overlap=" ".join(min(leaked)))
    for point in question.key_points:
        words = _content(point)
        if len(words) < 2:
            continue
        n = min(3, len(words))
        hit = (_ngrams(said, n) & _ngrams(words, n)) - ok
        if hit:
            return LeakReport(leaked=True, source="key_point", overlap=" ".join(min(hit)))
    return LeakReport(leaked=False)


def count_questions(text: str) -> int:
    """Sentences that end in a question mark (a rough count; enough to catch a barrage)."""
    return len(re.findall(r"\?+(?=\s|$|[\"')\]])", text))
