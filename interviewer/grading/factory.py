"""Pick the grader the settings ask for: the LLM rubric grader or the offline reference grader.

`GRADERS` is the grader registry: each kind (`core/agents.py`) and the factory that builds it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from interviewer.core.agents import AUTO, LLM, REFERENCE, GraderChoice, GraderKind
from interviewer.core.errors import ConfigError
from interviewer.core.grade import Grader

if TYPE_CHECKING:
    from interviewer.core.settings import Settings
    from interviewer.llm import ChatModel

__all__ = ["GRADERS", "GraderChoice", "make_grader", "make_reference_grader", "resolve_grader"]


def resolve_grader(
    settings: Settings, choice: GraderChoice | None = None, *, model: ChatModel | None = None
) -> GraderKind:
    """`auto` means the LLM grader when a model is given or an endpoint is configured."""
    chosen = choice or settings.grader
    if chosen == AUTO:
        return LLM if model is not None or settings.llm_configured else REFERENCE
    if chosen == LLM and model is None and not settings.llm_configured:
        raise ConfigError(
            "the LLM grader needs a model endpoint: set OPENAI_API_KEY, or OPENAI_BASE_URL for "
            "a local OpenAI-compatible server (or use the offline reference grader)"
        )
    return chosen


def make_grader(
    settings: Settings, *, model: ChatModel | None = None, encoder: Any | None = None,
    choice: GraderChoice | None = None,
) -> Grader:
    """The configured grader. The reference grader is always built: it is the LLM grader's
    fallback and its check for sharp disagreements."""
    reference = make_reference_grader(encoder)
    return GRADERS[resolve_grader(settings, choice, model=model)](settings, model, reference)


def _reference(settings: Settings, model: ChatModel | None, reference: Grader) -> Grader:
    return reference


def _llm(settings: Settings, model: ChatModel | None, reference: Grader) -> Grader:
    from interviewer.grading.llm_grader import LLMGrader
    from interviewer.llm import make_chat_model

    chat = model or make_chat_model(settings, "grader")
    if chat is None:  # resolve_grader has ruled this out; kept for type narrowing
        raise ConfigError("no model endpoint configured for the LLM grader")
    return LLMGrader(chat, settings.prompts_dir, fallback=reference)


# settings, the model (or None: the configured one), the reference grader -> the grader
GRADERS: dict[GraderKind, Callable[[Settings, ChatModel | None, Grader], Grader]] = {
    REFERENCE: _reference, LLM: _llm,
}


def make_reference_grader(encoder: Any | None = None) -> Grader:
    from interviewer.grading.reference import ReferenceGrader

    if encoder is None:
        from interviewer.packs.embeddings import MiniLM

        encoder = MiniLM.for_grading()
    return ReferenceGrader(encoder)
