"""Build a knowledge pack from the data-science-interviews theory CSV (CC BY 4.0).

This pack exists to prove the app is not tied to one company: it has its own stages, topics and
questions, all derived generically from the CSV. The output is deterministic, so a test can
regenerate it and compare with the committed file.

    interviewer dev build-pack CSV -o knowledge/data-science-interviews/pack.yaml

Misconceptions are not in the source: `misconceptions.yaml` beside the CSV (question id -> list
of claim + correction), written for this project, is merged in when present.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import re
import sys
import textwrap
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote

import yaml
from pydantic import BaseModel, RootModel, ValidationError

from interviewer.core.errors import InputError, PackError
from interviewer.core.pack import (
    Misconception,
    Pack,
    Question,
    SourceInfo,
    Stage,
    Tip,
    Topic,
    dump_yaml,
)

PACK_NAME = "data-science-interviews"
SOURCE_URL = "https://github.com/alexeygrigorev/data-science-interviews"
SOURCE_COMMIT = "83a2fefb2f0cef229c0b96a729e8ce73e540ddc8"
LICENSE = "CC BY 4.0"
ATTRIBUTION = (
    "Questions and answers from \"Data Science Interviews\" (theory.md) by Alexey Grigorev and "
    f"contributors, {SOURCE_URL}, licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/). Markdown links and images were reduced to "
    "their text; intents, answering advice and key points were derived automatically. The "
    "answers are community-written: double-check them."
)
SCREEN = "theory-screen"
DEEP_DIVE = "technical-deep-dive"
MAX_KEY_POINTS = 6
KEY_POINT_CHARS = 160
MAX_FOLLOW_UPS = 2
MISCONCEPTIONS_FILE = "misconceptions.yaml"
MISCONCEPTIONS_NOTE = (
    "Misconceptions (common wrong claims, each with its correction) were written for the "
    "interviewer project; they are not part of the source."
)


class SourceRow(BaseModel):
    """One CSV row: id, section, question, difficulty, answer (Markdown)."""

    id: str
    section: str
    question: str
    difficulty: str
    answer: str


def _clean_space(text: str) -> str:
    return text.replace("\xa0", " ").strip()


def read_rows(path: Path) -> list[SourceRow]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            raw = list(csv.DictReader(fh))
    except OSError as e:
        raise InputError(f"cannot read {path}: {e}") from e
    try:
        rows = [SourceRow.model_validate({k: _clean_space(v or "") for k, v in r.items()})
                for r in raw]
    except ValidationError as e:
        raise PackError(f"{path}: unexpected columns: {e}") from e
    if not rows:
        raise PackError(f"{path}: no rows")
    return rows


# --- Markdown clean-up --------------------------------------------------------------------------

_MATH_IMG = re.compile(r'<img\s+src="https?://render\.githubusercontent\.com/render/math\?math=([^"]*)"\s*/?>')
_HTML_IMG = re.compile(r'<img\b[^>]*?(?:alt="([^"]*)")?[^>]*>')
_MD_IMG = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_TAGS = [
    (re.compile(r"</?(?:strong|b)>"), "**"),
    (re.compile(r"</?i>"), "*"),
    (re.compile(r"<sub>"), "_"),
    (re.compile(r"</sub>"), ""),
]


def clean_markdown(text: str) -> str:
    """Keep the text of images and links that point outside the pack; formulas become LaTeX."""
    text = _MATH_IMG.sub(lambda m: "$" + unquote(m.group(1)).strip() + "$", text)
    text = _HTML_IMG.sub(lambda m: m.group(1) or "", text)
    text = _MD_IMG.sub(lambda m: f"({m.group(1)})" if m.group(1) else "", text)
    text = _MD_LINK.sub(r"\1", text)
    for pattern, repl in _TAGS:
        text = pattern.sub(repl, text)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", text).strip()


_MATH = re.compile(r"\$([^$]+)\$")


def _plain(text: str) -> str:
    """Markdown emphasis, code ticks and math delimiters removed (math itself kept verbatim)."""
    parts = _MATH.split(text)  # odd indices are the insides of $...$
    out = [p if i % 2 else re.sub(r"[*_`]+", "", p) for i, p in enumerate(parts)]
    return " ".join("".join(out).split())


def _is_point(text: str) -> bool:
    """A sentence worth keeping: has words, is not a bare image caption or a list lead-in."""
    return (
        sum(c.isalpha() for c in text) >= 3
        and not (text.startswith("(") and text.endswith(")"))
        and not text.endswith(":")
    )


def _shorten(text: str, limit: int = KEY_POINT_CHARS) -> str:
    text = text.strip().rstrip(",;:")
    if len(text) <= limit:
        return text
    cut = text[:limit]
    for sep in ("; ", ", ", " - ", " ("):
        at = cut.rfind(sep)
        if at >= limit // 2:
            return cut[:at].rstrip(",;: ") + " …"
    return cut.rsplit(" ", 1)[0] + " …"


_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"'*])")


def _prose_and_bullets(answer: str) -> tuple[list[str], list[str]]:
    """Split an answer into prose paragraphs and bullet items, skipping code blocks."""
    prose: list[str] = []
    bullets: list[str] = []
    in_code = False
    para: list[str] = []
    for line in answer.splitlines():
        if line.strip().startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        m = _BULLET.match(line)
        if m:
            bullets.append(m.group(1))
        elif line.strip():
            para.append(line.strip())
            continue
        if para:
            prose.append(" ".join(para))
            para = []
    if para:
        prose.append(" ".join(para))
    return prose, bullets


def _sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def key_points(answer: str) -> list[str]:
    """1-6 short points: the bullet items if the answer has several, else its sentences."""
    prose, bullets = _prose_and_bullets(answer)
    items = [_plain(b) for b in bullets]
    items = [b for b in items if _is_point(b)]
    if len(items) >= 2:
        lead = [_plain(s) for p in prose[:1] for s in _sentences(p)[:1]]
        # A lead-in that only announces the list ("Here are some ...:") is not a point.
        lead = [s for s in lead if _is_point(s)]
        picked = (lead + items)[:MAX_KEY_POINTS]
    else:
        # In prose a sentence that introduces a formula still states something: keep it.
        sentences = [_plain(s).rstrip(":") for p in prose for s in _sentences(p)] + items
        picked = [s for s in sentences if _is_point(s)][:MAX_KEY_POINTS]
    points: list[str] = []
    for p in picked:
        short = _shorten(p)
        if short and short not in points:
            points.append(short)
    if not points:
        points = [_shorten(_plain(answer))]
    return points


# --- Derived advice -------------------------------------------------------------------------------


def _question_form(question: str) -> str:
    q = question.lower()
    if re.search(r"\bdifference|\bdiffer\b|\bvs\.?\b|\bversus\b|\bcompare", q):
        return "compare"
    if re.match(r"\s*(why|when)\b", q) or " why " in q:
        return "reason"
    if re.match(r"\s*how\b", q) or "steps" in q:
        return "procedure"
    if re.match(r"\s*(which|name|list)\b", q) or re.search(r"\bwhat (are|kind|types)\b", q):
        return "enumerate"
    if re.match(r"\s*(what is|what's|what are|define|explain)\b", q):
        return "define"
    return "discuss"


_INTENT = {
    "compare": "Checks that you can tell closely related {topic} ideas apart and know when each "
               "one applies.",
    "reason": "Checks that you understand the reasoning behind a {topic} choice, not only its "
              "name.",
    "procedure": "Checks that you can walk through how to do this in practice ({topic}).",
    "enumerate": "Checks the breadth of your {topic} knowledge: the main options and what "
                 "distinguishes them.",
    "define": "Checks that you can define a core {topic} concept precisely and say where it is "
              "used.",
    "discuss": "Checks your working understanding of {topic} and how you reason about it.",
}

_HOW = {
    "compare": "Define each side in one sentence, then contrast them on the dimension that "
               "matters (assumptions, behaviour, cost), and say when you would pick each.",
    "reason": "State the answer first, then give the reason behind it and a concrete case where "
              "it matters.",
    "procedure": "Give the steps in order, name the tool or formula for each, and mention how "
                 "you would check that it worked.",
    "enumerate": "Name the main options, give one line on what each does, and say when you "
                 "would use which.",
    "define": "Open with a one-sentence definition, then add how it works and a short example "
              "of where it is used.",
    "discuss": "Answer directly, support it with the key mechanism, and close with a practical "
               "example or caveat.",
}

_DEPTH = {
    "easy": " Keep it short: a screen expects a crisp, correct answer.",
    "medium": " Expect a follow-up on the details, so be ready to go one level deeper.",
    "expert": " This is advanced: show the trade-offs and the edge cases, not only the idea.",
}


def intent_for(row: SourceRow) -> str:
    return _INTENT[_question_form(row.question)].format(topic=row.section.lower())


def how_to_answer_for(row: SourceRow) -> str:
    return _HOW[_question_form(row.question)] + _DEPTH.get(row.difficulty, "")


# --- The pack ---------------------------------------------------------------------------------


def stages() -> list[Stage]:
    return [
        Stage(
            id=SCREEN, order=1, name="Theory screen",
            description="A short phone or video screen with rapid-fire fundamentals: "
                        "definitions and basic concepts of machine learning and data science.",
            format="30-minute call, many short questions",
            persona="a friendly screening interviewer who keeps a brisk pace",
            focus=["definitions", "core concepts", "clear and concise answers"],
            aliases=["screen", "screening", "theory"], duration_minutes=30,
        ),
        Stage(
            id=DEEP_DIVE, order=2, name="Technical deep dive",
            description="A longer technical interview that goes into how methods work, their "
                        "assumptions and trade-offs, and how you would apply them.",
            format="45-60 minute interview with follow-up questions",
            persona="a senior data scientist who probes for depth and trade-offs",
            focus=["how methods work", "assumptions and trade-offs", "practical application"],
            aliases=["technical", "deep-dive", "deepdive"], duration_minutes=60,
        ),
    ]


def _topics(rows: list[SourceRow]) -> list[Topic]:
    by_section: dict[str, list[SourceRow]] = defaultdict(list)
    for r in rows:
        by_section[r.section].append(r)
    topics = []
    for section, items in by_section.items():
        common = Counter(r.difficulty for r in items).most_common()
        top = max(common, key=lambda c: (c[1], ["easy", "medium", "expert"].index(c[0])))[0]
        n = len(items)
        chance = "high" if n >= 12 else "medium" if n >= 6 else "low"
        topics.append(Topic(name=section, difficulty=top.capitalize(), ask_chance=chance))
    return topics


def _follow_ups(rows: list[SourceRow]) -> dict[str, list[str]]:
    """The next questions of the same section (wrapping), as natural follow-ups."""
    by_section: dict[str, list[SourceRow]] = defaultdict(list)
    for r in rows:
        by_section[r.section].append(r)
    out: dict[str, list[str]] = {}
    for items in by_section.values():
        for i, r in enumerate(items):
            others = [items[(i + j) % len(items)] for j in range(1, len(items))]
            out[r.id] = [o.question for o in others[:MAX_FOLLOW_UPS]]
    return out


class MisconceptionFile(RootModel[dict[str, list[Misconception]]]):
    """The authored overlay: question id -> its misconceptions."""


def read_misconceptions(path: Path, ids: Sequence[str]) -> dict[str, list[Misconception]]:
    """An unknown question id is an error, so a renumbered CSV cannot silently drop them."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as e:
        raise InputError(f"cannot read {path}: {e}") from e
    except yaml.YAMLError as e:
        raise PackError(f"{path}: not valid YAML: {e}") from e
    try:
        found = MisconceptionFile.model_validate(raw).root
    except ValidationError as e:
        raise PackError(f"{path}: {e}") from e
    unknown = sorted(set(found) - set(ids))
    if unknown:
        raise PackError(f"{path}: no such question: {', '.join(unknown)}")
    return found


def question_for(row: SourceRow, follow_ups: list[str],
                 misconceptions: Sequence[Misconception] = ()) -> Question:
    if row.difficulty not in ("easy", "medium", "hard", "expert"):
        raise PackError(f"{row.id}: unknown difficulty {row.difficulty!r}")
    answer = clean_markdown(row.answer)
    return Question(
        id=row.id, section=row.section, topic=row.section, kind="technical",
        stages=[SCREEN] if row.difficulty == "easy" else [DEEP_DIVE],
        # typed: the CSV's difficulty string is validated by the Question model
        difficulty=row.difficulty,  # type: ignore[arg-type]
        question=row.question, intent=intent_for(row), how_to_answer=how_to_answer_for(row),
        example_answer=answer, key_points=key_points(answer), follow_ups=follow_ups,
        misconceptions=list(misconceptions), provenance="source",
    )


def build_pack(csv_path: Path, misconceptions_path: Path | None = None) -> Pack:
    """`misconceptions_path` defaults to the overlay beside the CSV, if there is one."""
    rows = read_rows(csv_path)
    follow = _follow_ups(rows)
    overlay = misconceptions_path or csv_path.with_name(MISCONCEPTIONS_FILE)
    wrong = (read_misconceptions(overlay, [r.id for r in rows])
             if misconceptions_path or overlay.is_file() else {})
    sha = hashlib.sha256(csv_path.read_bytes()).hexdigest()
    return Pack(
        name=PACK_NAME,
        company="Generic ML/DS interview",
        role="Data Scientist / ML Engineer",
        overview=(
            "A generic machine-learning and data-science theory interview, not tied to any "
            f"company: {len(rows)} community questions with answers across "
            f"{len({r.section for r in rows})} topics, from linear regression and validation to "
            "neural networks, text, ranking and time series. Easy questions make up a short "
            "theory screen; medium and expert ones a technical deep dive."
        ),
        source=SourceInfo(
            file=csv_path.name, sha256=sha,
            title="Data Science Interviews: theory questions (alexeygrigorev/data-science-"
                  f"interviews, theory.md @ {SOURCE_COMMIT[:12]})",
            url=SOURCE_URL, license=LICENSE, attribution=ATTRIBUTION,
        ),
        attribution=ATTRIBUTION,
        stages=stages(),
        topics=_topics(rows),
        tips=[
            Tip(id="lead-with-the-definition", title="Lead with the definition",
                text="Theory questions reward a crisp first sentence: say what the thing is, "
                     "then how it works, then one example of where you have used it."),
            Tip(id="know-the-trade-offs", title="Know the trade-offs",
                text="For every method, be ready to say what it assumes, when it fails and "
                     "what you would try instead; deep-dive interviewers probe exactly there."),
            Tip(id="double-check-community-answers", title="Double-check community answers",
                text="The example answers in this pack were written by the community. Use them "
                     "as a starting point and verify anything that looks off."),
        ],
        questions=[question_for(r, follow[r.id], wrong.get(r.id, ())) for r in rows],
    )


def render(pack: Pack) -> str:
    """The pack as YAML, headed by a comment that says how it was made and whose content it is."""
    notes = [f"Generated by `interviewer dev build-pack {pack.source.file}`; do not edit."]
    notes += textwrap.wrap(pack.attribution or "", width=96)
    if any(q.misconceptions for q in pack.questions):
        notes += textwrap.wrap(MISCONCEPTIONS_NOTE, width=96)
    header = "".join(f"# {line}\n" for line in notes)
    return header + dump_yaml(pack.model_dump(mode="json"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="interviewer dev build-pack", description=__doc__)
    parser.add_argument("csv", type=Path, help="data_science_interviews_theory.csv")
    parser.add_argument("-o", "--output", type=Path, help="pack.yaml to write (default: stdout)")
    parser.add_argument("--misconceptions", type=Path,
                        help=f"authored misconceptions (default: {MISCONCEPTIONS_FILE} beside CSV)")
    args = parser.parse_args(argv)
    try:
        text = render(build_pack(args.csv, args.misconceptions))
    except (InputError, PackError) as e:
        print(f"dsi_pack: error: {e}", file=sys.stderr)
        return 2
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
