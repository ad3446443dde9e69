"""The LLM interviewer: per-stage prompts from `prompts/`, grounded in retrieved material,
streamed token by token, and guarded.

The guard holds back the last characters of the stream while it checks the text so far: a leak
of the example answer or a key point, or an echo of the candidate's latest text (4+ consecutive
words, or an all-caps token such as a canary an injected instruction asks for), is caught before
those words are shown, and the reply falls back to the offline interviewer's text (marked
`fallback`). The finished text must also have the right number of questions for its task and
never announce a grade.

The model sees the candidate's words only where the task needs them (follow-up, hint,
clarification), and never a detected derail: that is answered in role with the offline text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from interviewer.core.agents import llm_interviewer_name
from interviewer.core.errors import ConfigError, IndexError_, InputError, ModelError
from interviewer.core.settings import Settings
from interviewer.core.text import STOP_WORDS, normalise_for_checks
from interviewer.interview.guard import count_questions, find_leak
from interviewer.interview.offline import (
    STRONG_SCORE,
    WEAK_SCORE,
    Composed,
    ComposeRequest,
    OfflineInterviewer,
    Task,
    persona_of,
    with_article,
)
from interviewer.interview.probe import presupposes
from interviewer.llm import CallInfo, ChatModel
from interviewer.llm.prompts import Prompt, load_prompt

# One prompt per stage (`interviewer_<stage id>`, else `interviewer_default`), all with these
# (the glob matches only files with messages: see tests/test_prompts.py).
PROMPT_VARIABLES: dict[str, tuple[str, ...]] = {
    "interviewer_*": ("company", "role", "stage_name", "persona", "stage_brief", "material",
                      "instruction", "question", "conversation"),
}
HOLDBACK_CHARS = 160
MAX_REPLY_CHARS = 1_200

# How many questions each task's text may contain: (min, max).
QUESTION_COUNT: dict[Task, tuple[int, int]] = {
    "opening": (0, 0), "lead_in": (0, 0), "transition": (0, 0), "closing": (0, 0),
    "follow_up": (1, 1), "hint": (0, 1), "clarify": (0, 1), "derail": (0, 1),
}

# The task instructions live in prompts/interviewer_tasks.yaml (versioned with their wording):
# `task.<task>` for each task, `focus.<probe kind>` and `previous.<mood>` for the pieces a
# follow-up and a lead-in are built from, `part.*` for the wrappers around the candidate's words.
TASKS_PROMPT = "interviewer_tasks"
# Every variable the code passes to each template of TASKS_PROMPT; tests/test_prompts.py checks.
TEMPLATE_VARIABLES: dict[str, dict[str, tuple[str, ...]]] = {
    TASKS_PROMPT: {
        "task.opening": ("questions_in_stage",),
        "task.lead_in": ("question_number", "previous"),
        "task.follow_up": ("focus",),
        "task.hint": (), "task.clarify": (), "task.derail": (),
        "task.transition": ("next_stage",),
        "task.closing": ("early",),
        "focus.redirect": (), "focus.wrong_claim": ("target",), "focus.star_part": ("target",),
        "focus.example": (), "focus.missed_point": (), "focus.deeper": (),
        "previous.first": (), "previous.skipped": (), "previous.weak": (),
        "previous.neutral": (), "previous.strong": (),
        "part.ended_early": (), "part.answer": ("number", "text"), "part.message": ("text",),
        "part.not_yet_covered": ("points",),
    },
}
_TEMPLATES = TEMPLATE_VARIABLES[TASKS_PROMPT]

# Tasks whose prompt carries the candidate's answers / message; the others never see them.
SEES_CANDIDATE: frozenset[Task] = frozenset({"follow_up", "hint", "clarify"})
ECHO_WORDS = 4  # a run of this many of the candidate's words repeated is an echo
# All-caps tokens a reply may repeat even when the candidate wrote them: common technical terms.
COMMON_CAPS = frozenset({
    "STAR", "JSON", "YAML", "HTTP", "HTTPS", "REST", "LSTM", "BERT", "SMOTE", "ARIMA", "SARIMA",
    "XGBOOST", "SHAP", "LIME", "GDPR", "CUDA", "MLOPS", "TFIDF", "ONNX", "LLMS", "GPUS", "APIS",
    "KPIS", "SLAS"})

_GRADE_TALK = re.compile(r"\b[1-5](\.\d)?\s*(/|out of)\s*5\b|\bscore of [1-5]\b", re.I)


class Retriever(Protocol):
    """What the interviewer needs from the index (`store.KnowledgeIndex` fits)."""

    def search(self, pack: str, query: str, *, k: int = 5, stage: str | None = None,
               kind: Any = None) -> list[Any]: ...


class Interviewer(Protocol):
    """Offline or LLM: `compose` yields text chunks, then one `Composed` with the final text."""

    name: str

    def compose(self, req: ComposeRequest) -> Iterator[str | Composed]: ...


class LLMInterviewer:
    def __init__(self, model: ChatModel, prompts_dir: Path, *, retriever: Retriever | None = None,
                 settings: Settings | None = None, pack_name: str | None = None,
                 temperature: float = 0.7, max_tokens: int = 300,
                 holdback: int = HOLDBACK_CHARS) -> None:
        self.model = model
        self.prompts_dir = prompts_dir
        self.retriever = retriever
        self.settings = settings
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.holdback = holdback
        self.offline = OfflineInterviewer()
        self.name = llm_interviewer_name(model.model_name)
        self._index_ready: set[str] = set()

    # --- prompt ------------------------------------------------------------------------------

    def prompt_for(self, stage_id: str) -> Prompt:
        """The stage's own prompt, else the default (a file without messages, such as the tasks
        prompt, is never a stage prompt)."""
        try:
            prompt = load_prompt(self.prompts_dir, f"interviewer_{stage_id}")
            if prompt.spec.messages:
                return prompt
        except ConfigError:
            pass
        return load_prompt(self.prompts_dir, "interviewer_default")

    def tasks(self) -> Prompt:
        return load_prompt(self.prompts_dir, TASKS_PROMPT)

    def _text(self, key: str, **values: Any) -> str:
        """One template of the tasks prompt, passed exactly the variables TEMPLATE_VARIABLES
        declares for it (values may hold more)."""
        return self.tasks().text(key, **{k: values[k] for k in _TEMPLATES[key]})

    def material(self, req: ComposeRequest, pack: str) -> str:
        """Retrieved grounding: the stage, tips and the current question's material. Before the
        candidate has answered, example answers are cut out of what the model sees."""
        before_answer = req.task != "follow_up"
        parts: list[str] = []
        hits = self._retrieve(req, pack)
        if hits is None:  # no index: the same material straight from the request
            hits_text = [_stage_text(req)]
            if req.question:
                hits_text.append(f"Question: {req.question.question}\n"
                                 f"Why it is asked: {req.question.intent}")
        else:
            hits_text = [h.text for h in hits]
        for text in hits_text:
            if before_answer:
                text = text.split("Example answer:")[0].rstrip()
            if text and text not in parts:
                parts.append(text)
        if req.task == "follow_up" and req.missed:
            missed = list(req.missed)
            if req.probe and req.probe.kind == "missed_point" and req.probe.target in missed:
                missed.remove(req.probe.target)  # the probe's point first: it is the one
                missed.insert(0, req.probe.target)
            parts.append(self._text("part.not_yet_covered",
                                    points="\n".join(f"- {m}" for m in missed)))
        return "\n\n".join(parts)

    def _retrieve(self, req: ComposeRequest, pack: str) -> list[Any] | None:
        if self.retriever is None:
            return None
        query = req.question.question if req.question else req.stage.name
        try:
            if pack not in self._index_ready and hasattr(self.retriever, "is_built"):
                if not self.retriever.is_built(pack):
                    return None
                self._index_ready.add(pack)
            hits = self.retriever.search(pack, req.stage.name, k=1, stage=req.stage.id,
                                         kind="stage")
            hits += self.retriever.search(pack, query, k=2, kind="tip")
            if req.question is not None and req.task not in ("opening", "transition", "closing"):
                hits += [h for h in self.retriever.search(pack, query, k=3, stage=req.stage.id,
                                                          kind="question")
                         if getattr(h, "question_id", None) == req.question.id]
            return hits
        except (IndexError_, InputError):
            return None

    def version(self, prompt: Prompt) -> str:
        """What a reply records: the stage prompt's version and the task instructions'."""
        return f"{prompt.version}+{self.tasks().version}"

    def call_info(self, req: ComposeRequest, prompt: Prompt) -> CallInfo:
        return CallInfo(task=req.task, prompt=prompt.name, prompt_version=self.version(prompt),
                        question_id=req.question.id if req.question else None,
                        stage_id=req.stage.id)

    def instruction(self, req: ComposeRequest) -> str:
        """The task's instruction, from the tasks prompt."""
        probe = req.probe
        focus_key = f"focus.{probe.kind}" if probe else "focus.missed_point"
        focus = self._text(focus_key, target=_data(probe.target) if probe else "") \
            if focus_key in _TEMPLATES else ""
        return self._text(
            f"task.{req.task}",
            questions_in_stage=req.questions_in_stage, question_number=req.question_number,
            next_stage=req.next_stage.name if req.next_stage else "",
            early=self._text("part.ended_early") if req.ended_early else "",
            focus=focus, previous=self._text(f"previous.{previous_mood(req)}"),
        ).strip()

    def messages(self, req: ComposeRequest, pack: str) -> tuple[Prompt, list[Any]]:
        prompt = self.prompt_for(req.stage.id)
        instruction = self.instruction(req)
        convo = []
        if req.task in SEES_CANDIDATE:  # least privilege: openings and closings need no answers
            for i, a in enumerate(req.answers, 1):
                convo.append(self._text("part.answer", number=i, text=_data(a)))
            if req.candidate_text:
                convo.append(self._text("part.message", text=_data(req.candidate_text)))
        values = {
            "company": req.company, "role": req.role, "stage_name": req.stage.name,
            "persona": with_article(persona_of(req.stage)), "stage_brief": _stage_text(req),
            "material": self.material(req, pack) or "(none)", "instruction": instruction,
            "question": req.question.question if req.question else "(none yet)",
            "conversation": "\n\n".join(convo) or "(nothing yet)",
        }
        msgs = prompt.render(**{k: values[k] for k in PROMPT_VARIABLES["interviewer_*"]})
        return prompt, msgs

    # --- compose -----------------------------------------------------------------------------

    def compose(self, req: ComposeRequest) -> Iterator[str | Composed]:
        fallback = self.offline.write(req)
        if req.task == "derail":  # the attempt is not sent to the model: answered in role
            yield from self._fallback(fallback, "derail: not sent to the model", None)
            return
        pack = req.pack or (self.settings.default_pack if self.settings else "")
        try:
            prompt, msgs = self.messages(req, pack)
        except ConfigError as e:
            yield from self._fallback(fallback, f"prompt: {e}", None)
            return
        acc, emitted, reason = "", 0, None
        allowed = list(req.answers)
        echo = EchoCheck(req)
        try:
            for chunk in self.model.stream(msgs, temperature=self.temperature,
                                           max_tokens=self.max_tokens,
                                           info=self.call_info(req, prompt)):
                acc += chunk
                reason = self._leak(acc, req, allowed) or echo.check(acc)
                if reason:
                    break
                if len(acc) > MAX_REPLY_CHARS:
                    reason = "too long"
                    break
                safe = len(acc) - self.holdback
                if safe > emitted:
                    yield acc[emitted:safe]
                    emitted = safe
        except ModelError as e:
            reason = f"model error: {e}"
        text = acc.strip()
        if reason is None:
            reason = self._check(text, req, allowed) or echo.check(text)
        if reason:
            yield from self._fallback(fallback, reason, self.version(prompt))
            return
        if len(acc) > emitted:
            yield acc[emitted:]
        yield Composed(text=text, interviewer=self.name, prompt_version=self.version(prompt))

    def _fallback(self, fallback: Composed, reason: str,
                  version: str | None) -> Iterator[str | Composed]:
        yield fallback.model_copy(update={"fallback": True, "fallback_reason": reason,
                                          "prompt_version": version})

    def _leak(self, text: str, req: ComposeRequest, allowed: list[str]) -> str | None:
        if req.question is None or req.task in ("transition", "closing"):
            return None
        report = find_leak(text, req.question, allowed=allowed)
        return f"leaked {report.source}: {report.overlap!r}" if report.leaked else None

    def _check(self, text: str, req: ComposeRequest, allowed: list[str]) -> str | None:
        if not text:
            return "empty reply"
        leak = self._leak(text, req, allowed)
        if leak:
            return leak
        low, high = QUESTION_COUNT[req.task]
        n = count_questions(text)
        if not low <= n <= high:
            return f"{n} question(s) where {low}-{high} are allowed"
        if req.task == "follow_up":
            assumed = presupposes(text, "\n".join(req.answers))
            if assumed:
                return f"presupposes {assumed!r}, which the candidate never mentioned"
        if _GRADE_TALK.search(text):
            return "talks about a grade"
        return None


class EchoCheck:
    """Does a reply repeat the candidate's latest text? An obeyed injection shows up as its own
    words (a run of ECHO_WORDS words) or its canary (an all-caps token of 4+ letters) in the
    reply. Words and tokens the question's own material uses are allowed; so are runs made only
    of stop words. Both sides are normalised first, so a full-width instruction echoed in ASCII
    still counts."""

    def __init__(self, req: ComposeRequest) -> None:
        latest = req.candidate_text or (req.answers[-1] if req.answers else "")
        latest = normalise_for_checks(latest)
        material = _material_text(req)
        known_runs = _runs(_echo_words(material))
        self.runs = {r for r in _runs(_echo_words(latest)) - known_runs
                     if any(w not in STOP_WORDS for w in r)}
        known_caps = _caps(material) | COMMON_CAPS
        self.caps = _caps(latest) - known_caps

    def check(self, text: str) -> str | None:
        if not self.runs and not self.caps:
            return None
        text = normalise_for_checks(text)
        caps = _caps(text) & self.caps
        if caps:
            return f"echoes the candidate's {min(caps)!r}"
        runs = _runs(_echo_words(text)) & self.runs
        if runs:
            return f"echoes the candidate's words {' '.join(min(runs))!r}"
        return None


_CAPS = re.compile(r"(?<![\w-])[A-Z][A-Z0-9]*(?:[-_][A-Z0-9]+)*(?![\w-])")


def _caps(text: str) -> set[str]:
    return {t for t in _CAPS.findall(text) if sum(c.isalpha() for c in t) >= 4}


def _echo_words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _runs(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1)}


def previous_mood(req: ComposeRequest) -> str:
    """How the previous question went, in the lead-in's terms (see offline.lead_in_text)."""
    first = req.stage_question_number == 1 if req.stage_question_number else \
        req.question_number <= 1
    if first:
        return "first"
    if req.last_skipped:
        return "skipped"
    if req.last_score is None or req.mode == "interview":
        return "neutral"
    if req.last_score >= STRONG_SCORE:
        return "strong"
    return "weak" if req.last_score < WEAK_SCORE else "neutral"


def _material_text(req: ComposeRequest) -> str:
    """What the interviewer may say in its own right: the question's material and the stage,
    and a wrong claim the follow-up is asked to quote back."""
    parts = [req.company, req.role, _stage_text(req)]
    if req.probe is not None and req.probe.kind == "wrong_claim":
        parts.append(req.probe.target)
    q = req.question
    if q is not None:
        parts += [q.question, q.intent, q.how_to_answer, q.example_answer, *q.key_points,
                  *q.follow_ups, *q.hints]
    return normalise_for_checks("\n".join(p for p in parts if p))


def _data(text: str) -> str:
    """Candidate text cannot close the delimiters it is wrapped in."""
    return text.replace("<<<", "< < <").replace(">>>", "> > >")


def _stage_text(req: ComposeRequest) -> str:
    s = req.stage
    parts = [f"{s.name}: {s.description}"]
    if s.format:
        parts.append(f"Format: {s.format}")
    if s.focus:
        parts.append("Focus: " + "; ".join(s.focus))
    return "\n".join(parts)
