"""Interviewer and grader names: parsed and formatted in one place, every kind has a factory, and
the stored strings keep their old format (old transcripts still load)."""

from __future__ import annotations

from typing import get_args

import pytest
from fakes import FakeGrader, ScriptedChatModel

from interviewer.app.agents import INTERVIEWERS, interviewer_kind, make_interviewer
from interviewer.core.agents import (
    GRADER_CHOICES,
    GRADER_KINDS,
    LLM,
    OFFLINE,
    REFERENCE,
    AgentName,
    InterviewerKind,
    is_offline,
    llm_interviewer_name,
)
from interviewer.core.errors import ConfigError
from interviewer.core.events import Said
from interviewer.core.grade import GradeProvenance
from interviewer.core.settings import Settings
from interviewer.grading.factory import GRADERS, make_grader


@pytest.mark.parametrize("name", ["offline", "llm:qwen2.5:7b", "llm:gpt-4o-mini", "reference"])
def test_names_round_trip(name: str) -> None:
    assert str(AgentName.parse(name)) == name


def test_parse_splits_the_kind_from_the_model_once() -> None:
    assert AgentName.parse("llm:qwen2.5:7b") == AgentName(kind=LLM, model="qwen2.5:7b")
    assert AgentName.parse("offline") == AgentName(kind=OFFLINE)
    assert llm_interviewer_name("judge") == "llm:judge"
    assert is_offline("offline") and is_offline(None)
    assert not is_offline("llm:judge") and not is_offline("unguarded:stub")


def test_stored_strings_keep_their_format() -> None:
    """The constants are the strings transcripts have always held."""
    assert (OFFLINE, LLM, REFERENCE) == ("offline", "llm", "reference")
    old = Said.model_validate({"kind": "opening", "text": "Hi", "stage_id": "s"})  # no name
    assert old.interviewer == "offline"
    said = Said.model_validate({"kind": "opening", "text": "Hi", "interviewer": "llm:qwen"})
    assert AgentName.parse(said.interviewer) == AgentName(kind=LLM, model="qwen")
    assert GradeProvenance(grader="reference").grader == REFERENCE
    assert set(GRADER_CHOICES) == {"auto", *GRADER_KINDS}


def test_every_kind_has_a_factory() -> None:
    assert set(INTERVIEWERS) == set(get_args(InterviewerKind))
    assert set(GRADERS) == set(GRADER_KINDS)


def test_the_interviewer_registry_builds_each_kind(settings: Settings) -> None:
    assert interviewer_kind(None) == OFFLINE
    model = ScriptedChatModel([])
    assert interviewer_kind(model) == LLM
    assert make_interviewer(OFFLINE, settings, None).name == OFFLINE
    assert make_interviewer(LLM, settings, model).name == "llm:scripted"
    with pytest.raises(ConfigError):
        make_interviewer(LLM, settings, None)
    with pytest.raises(ConfigError):
        make_interviewer("nobody", settings, None)  # type: ignore[arg-type]


def test_the_grader_registry_builds_each_kind(settings: Settings) -> None:
    reference = FakeGrader()
    assert make_grader(settings, encoder=object(), choice=REFERENCE).name == REFERENCE
    llm = GRADERS[LLM](settings, ScriptedChatModel([]), reference)
    assert llm.name == LLM  # type: ignore[attr-defined]
    assert GRADERS[REFERENCE](settings, None, reference) is reference
