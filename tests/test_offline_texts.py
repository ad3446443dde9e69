"""The offline interviewer's written texts read well for every pack: a company's and a generic
one (whose "company" is a description, and whose personas carry their own article)."""

from __future__ import annotations

import pytest
from session_support import make_pack

from interviewer.interview.offline import ComposeRequest, OfflineInterviewer, persona_at


@pytest.mark.parametrize(("persona", "company", "expected"), [
    ("ML engineer", "Kraken", "an ML engineer at Kraken"),
    ("recruiter", "Kraken", "a recruiter at Kraken"),
    ("a friendly screening interviewer who keeps a brisk pace", "Acme",
     "a friendly screening interviewer at Acme who keeps a brisk pace"),
    ("a friendly screening interviewer who keeps a brisk pace", "Generic ML/DS interview",
     "a friendly screening interviewer who keeps a brisk pace"),
    ("An engineering manager", "Acme", "An engineering manager at Acme"),
    ("senior data scientist", "", "a senior data scientist"),
])
def test_persona_phrase(persona: str, company: str, expected: str) -> None:
    assert persona_at(persona, company) == expected


def _opening(company: str, persona: str) -> str:
    pack = make_pack()
    stage = pack.stages[1].model_copy(update={"persona": persona})
    text = OfflineInterviewer().write(ComposeRequest(
        task="opening", company=company, role="Data Scientist", stage=stage,
        questions_in_stage=1)).text
    assert text is not None
    return text


def test_opening_for_a_generic_pack_has_no_company_and_one_article() -> None:
    text = _opening("Generic ML/DS interview",
                    "a friendly screening interviewer who keeps a brisk pace")
    assert text.startswith("Hi, I'm Sam, a friendly screening interviewer who keeps a brisk "
                           "pace. Welcome to the Technical Interview")
    assert "I'll ask you 1 question," in text


def test_opening_for_a_company_pack_names_it() -> None:
    assert _opening("Acme", "ML engineer").startswith("Hi, I'm Priya, an ML engineer at Acme. ")
