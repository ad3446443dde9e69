"""The interviewer registry: which factory builds each interviewer kind (`core/agents.py` names
the kinds; the grader registry is `grading/factory.py:GRADERS`, below this layer).
`build_services` resolves the kind from the settings and asks here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from interviewer.core.agents import LLM, OFFLINE, InterviewerKind
from interviewer.core.errors import ConfigError
from interviewer.core.settings import Settings

if TYPE_CHECKING:
    from interviewer.interview.llm_interviewer import Interviewer
    from interviewer.llm import ChatModel
    from interviewer.packs.index import KnowledgeIndex

# settings, model, the search index (or None) -> the interviewer
InterviewerFactory = Callable[[Settings, "ChatModel | None", "KnowledgeIndex | None"],
                              "Interviewer"]


def _offline(settings: Settings, model: ChatModel | None,
             index: KnowledgeIndex | None) -> Interviewer:
    from interviewer.interview.offline import OfflineInterviewer

    return OfflineInterviewer()


def _llm(settings: Settings, model: ChatModel | None,
         index: KnowledgeIndex | None) -> Interviewer:
    from interviewer.interview.llm_interviewer import LLMInterviewer

    if model is None:
        raise ConfigError("the LLM interviewer needs a model")
    return LLMInterviewer(model, settings.prompts_dir, retriever=index, settings=settings)


INTERVIEWERS: dict[InterviewerKind, InterviewerFactory] = {OFFLINE: _offline, LLM: _llm}


def interviewer_kind(model: ChatModel | None) -> InterviewerKind:
    """The LLM interviewer when there is a model, else the offline one."""
    return OFFLINE if model is None else LLM


def make_interviewer(kind: InterviewerKind, settings: Settings, model: ChatModel | None,
                     index: KnowledgeIndex | None = None) -> Interviewer:
    try:
        factory = INTERVIEWERS[kind]
    except KeyError:
        raise ConfigError(f"unknown interviewer {kind!r} (known: {', '.join(INTERVIEWERS)})") \
            from None
    return factory(settings, model, index)

