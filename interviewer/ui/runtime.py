"""What the page's handlers share: settings, services (one set per grader choice, built once),
the chat settings widgets, and who the current chat belongs to."""

from __future__ import annotations

import functools
import threading
from typing import Any

import chainlit as cl
from chainlit.input_widget import Select, Slider

from interviewer.app.services import Services, build_services
from interviewer.core.pack import Pack
from interviewer.core.settings import Settings, load_settings
from interviewer.ui import profiles as prof
from interviewer.ui.identity import owner_for


@functools.cache
def settings() -> Settings:
    """Settings as the page uses them: a model that failed the start-up check is switched off
    (the app runs offline and says why)."""
    from interviewer.llm.check import checked_settings

    return checked_settings(load_settings())


def endpoint_problem() -> str | None:
    """Why a configured model was switched off at start-up, for the banner; None when fine."""
    from interviewer.llm.check import last_status

    status = last_status(load_settings())
    return status.message if status is not None and not status.ok else None


_build_lock = threading.Lock()
_services: dict[str | None, Services] = {}


def services(grader: str | None = None) -> Services:
    """Built once per grader choice and shared by every chat (thread-safe: chats and the
    warm-up may ask at the same time)."""
    with _build_lock:
        if grader not in _services:
            _services[grader] = _build(grader)
        return _services[grader]


def _build(grader: str | None) -> Services:
    s = settings()
    if grader is None:
        return build_services(s)
    from interviewer.core.agents import LLM, REFERENCE
    from interviewer.grading.factory import make_grader

    if grader == prof.REFERENCE_GRADER:
        return build_services(s, grader=make_grader(s, choice=REFERENCE))
    chosen = s.model_copy(update={"grader_model": grader})
    return build_services(s, grader=make_grader(chosen, choice=LLM))


def pack_of(svc: Services, owner: str | None = None) -> Pack:
    """The owner's chosen pack (the default one until they choose), as sessions will load it."""
    from interviewer.ui.pack_choice import pack_for

    pack = pack_for(settings(), owner)
    svc.packs[pack.name] = pack  # a pack replaced on disk is the one new sessions get
    return pack


def settings_widgets(choices: prof.ChatChoices, pack: str | None = None) -> list[Any]:
    widgets: list[Any] = []
    from interviewer.ui.pack_choice import available

    entries, _ = available(settings())
    if entries:
        names = [e.name for e in entries]
        widgets.append(Select(
            id="pack", label="Interview guide (pack)", items={e.label: e.name for e in entries},
            initial_value=pack if pack in names else names[0],
            description="The guide you practise; the stages in the profile menu are its "
                        "stages. Guides added by any user of this app are listed for everyone."))
    widgets += [
        Select(id="mode", label="Mode", values=prof.MODES, initial_value=choices.mode,
               description="Practice: a grade card after every answer. Interview: feedback "
                           "only at the end, like the real thing."),
        Slider(id="questions", label="Questions per stage", initial=choices.questions,
               min=1, max=10, step=1),
        Select(id="difficulty", label="Difficulty", values=prof.DIFFICULTIES,
               initial_value=choices.difficulty or "any"),
    ]
    graders = prof.grader_options(settings())
    if graders:
        widgets.append(Select(id="grader", label="Grading model", values=graders,
                              initial_value=choices.grader or graders[0]))
    return widgets


def current_owner() -> str | None:
    user = cl.user_session.get("user")
    environ = getattr(cl.context.session, "environ", None) or {}
    return owner_for(getattr(user, "identifier", None), environ.get("HTTP_COOKIE"))
