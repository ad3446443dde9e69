"""Chainlit handlers for the interviewer page. Thin on purpose: services are built once, each chat
keeps one `Chat` (one `InterviewSession`), and the work is in `interviewer.ui.*`.

Run with `interviewer ui` (or `make run`), which starts `chainlit run` on this file with the
offline frontend and a private environment.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any

import chainlit as cl
from chainlit.config import config as chainlit_config
from chainlit.server import app as chainlit_app

from interviewer.core.errors import NotFoundError, PackError
from interviewer.core.events import SessionStarted
from interviewer.core.session import PlanKind
from interviewer.ui import profiles as prof
from interviewer.ui.auth import check_password, parse_users
from interviewer.ui.chat import (
    Chat,
    history_action,
    new_interview_action,
    progress_action,
    weak_plan_action,
)
from interviewer.ui.guide_upload import add_guide_action, ask_and_add
from interviewer.ui.identity import BrowserIdMiddleware, owner_for, request_cookie
from interviewer.ui.options import ui_options
from interviewer.ui.pack_choice import available, choose, hidden_packs_text
from interviewer.ui.render import offline_banner
from interviewer.ui.runtime import (
    current_owner,
    endpoint_problem,
    pack_of,
    services,
    settings,
    settings_widgets,
)
from interviewer.ui.sessions import latest_open_session, latest_stage, open_session_for
from interviewer.ui.uploads import MAX_FILES_PER_MESSAGE, EmptyUploadMiddleware, picker_accept

log = logging.getLogger("interviewer.ui")


def guarded(handler: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """The last line of defence of a handler: log, and tell the candidate nothing was lost."""

    @functools.wraps(handler)
    async def run(*args: Any, **kwargs: Any) -> None:
        try:
            await handler(*args, **kwargs)
        except Exception:  # noqa: BLE001 - anything unexpected; the details go to the log
            log.exception("handler %s failed", handler.__name__)
            await cl.ErrorMessage(content="Something went wrong on our side (it is logged). "
                                  "Everything you answered so far is saved; reload the page "
                                  "to continue.", author="Coach").send()

    return run


OPTIONS = ui_options(settings())
chainlit_app.add_middleware(BrowserIdMiddleware)
chainlit_app.add_middleware(EmptyUploadMiddleware)
if chainlit_config.features.spontaneous_file_upload is not None:
    chainlit_config.features.spontaneous_file_upload.max_size_mb = max(
        1, math.ceil(OPTIONS.upload_max_kb / 1024))
    chainlit_config.features.spontaneous_file_upload.accept = picker_accept()
    chainlit_config.features.spontaneous_file_upload.max_files = MAX_FILES_PER_MESSAGE


_warm_tasks: set[asyncio.Task[None]] = set()


@cl.on_app_startup
async def warm_up() -> None:
    """Load the pack, the grader's model and the index in the background: the page is served
    at once, and the first chat rarely waits."""

    def load() -> None:
        svc = services()
        svc.search_index(pack_of(svc))  # other packs: `pack add` and uploads index them

    async def warm() -> None:
        try:
            await asyncio.to_thread(load)
        except Exception:  # noqa: BLE001 - a chat will report the real error to the user
            log.exception("warm-up failed")

    task = asyncio.get_running_loop().create_task(warm())
    _warm_tasks.add(task)  # keep a reference until it is done
    task.add_done_callback(_warm_tasks.discard)


if OPTIONS.auth:
    _USERS = parse_users(OPTIONS.users.get_secret_value() if OPTIONS.users else "")

    @cl.password_auth_callback
    async def password_login(username: str, password: str) -> cl.User | None:
        if check_password(_USERS, username, password):
            return cl.User(identifier=username, metadata={"provider": "credentials"})
        return None


@cl.set_chat_profiles
async def chat_profiles(user: cl.User | None = None, language: str | None = None) -> list[Any]:
    """One profile per stage plus the full loop. The page forgets its profile on reload, so
    the profile of the owner's latest unfinished interview is the default: it resumes."""
    svc = await asyncio.to_thread(services)
    owner = owner_for(getattr(user, "identifier", None), request_cookie.get())
    pack = await asyncio.to_thread(pack_of, svc, owner)
    latest = await asyncio.to_thread(latest_open_session, svc.store, owner, pack.name)
    default = prof.profile_for_stage(pack, latest_stage(latest)).name if latest else None
    return [cl.ChatProfile(name=p.name, markdown_description=p.description,
                           default=p.name == default)
            for p in prof.profiles(pack)]


async def new_chat(choices: prof.ChatChoices, profile: prof.ProfileSpec | None = None) -> Chat:
    """A chat for the page's profile, or for `profile` (the stage of the interview shown)."""
    svc = await asyncio.to_thread(services, choices.grader)
    pack = await asyncio.to_thread(pack_of, svc, current_owner())
    chat = Chat(services=svc, pack=pack, owner=current_owner(),
                profile=profile or prof.profile_named(pack, cl.user_session.get("chat_profile")),
                choices=choices, max_upload_bytes=OPTIONS.upload_max_kb * 1024)
    cl.user_session.set("chat", chat)
    return chat


@cl.on_chat_start
@guarded
async def on_chat_start() -> None:
    s = settings()
    banner = offline_banner(s.llm_configured, s.model_for("grader"), endpoint_problem())
    await cl.Message(content=banner, author="Coach",
                     actions=[history_action(), progress_action(), weak_plan_action(),
                              add_guide_action()]).send()
    svc = await asyncio.to_thread(services)
    pack = await asyncio.to_thread(pack_of, svc, current_owner())
    hidden = (await asyncio.to_thread(available, s))[1]
    if hidden:
        await cl.Message(content=hidden_packs_text(hidden), author="Coach").send()
    profile = prof.profile_named(pack, cl.user_session.get("chat_profile"))
    waiting = open_session_for(svc.store, current_owner(), pack.name, profile)
    switched = _switched.pop(current_owner() or "", None) == pack.name
    if waiting is not None:
        start = (await asyncio.to_thread(svc.store.load, waiting.session_id))[0]
        if not isinstance(start, SessionStarted):  # the stores refuse such a transcript
            raise NotFoundError(f"session {waiting.session_id} has no start event")
        cfg = start.config
        choices = prof.ChatChoices(mode=cfg.mode, questions=cfg.questions,
                                   difficulty=cfg.difficulty)
        await cl.ChatSettings(settings_widgets(choices, pack.name)).send()
        chat = await new_chat(choices)
        if switched:  # the page reloaded after a switch of guide: the interview just begun
            await chat.notice(prof.switched_text(pack))
        await chat.resume(waiting.session_id)
        if not switched:
            await chat.notice("Resumed your unfinished interview. Want a fresh one instead?",
                              [new_interview_action()])
        return
    values = await cl.ChatSettings(settings_widgets(prof.ChatChoices(), pack.name)).send()
    chat = await new_chat(prof.parse_choices(values, s))
    await chat.start_new()


@cl.on_settings_update
@guarded
async def on_settings_update(values: dict[str, Any]) -> None:
    """An interview under way is never replaced without asking (QA: a second greeting was
    stacked under the first): the new settings wait, and two buttons say what happens."""
    chat: Chat | None = cl.user_session.get("chat")
    choices = prof.parse_choices(values, settings())
    if chat is not None and choices.pack and choices.pack != chat.pack.name:
        await switch_pack(choices.pack, choices)
        return
    session = chat.session if chat else None
    if session is not None and not session.finished:
        await _drop_settings_prompt()
        cl.user_session.set("pending_choices", choices)
        prompt = cl.Message(content=prof.settings_prompt(choices), author="Coach",
                            actions=[new_interview_action(prof.START_WITH_SETTINGS),
                                     cl.Action(name="keep_interview", payload={},
                                               label=prof.KEEP_INTERVIEW, icon="check")])
        await prompt.send()
        cl.user_session.set("settings_prompt", prompt)
        return
    await restart(choices)


async def _drop_settings_prompt() -> None:
    """The settings question's buttons go once it is answered (or asked again)."""
    prompt: cl.Message | None = cl.user_session.get("settings_prompt")
    if prompt is not None:
        await prompt.remove_actions()
        cl.user_session.set("settings_prompt", None)


@cl.action_callback("keep_interview")
@guarded
async def on_keep_interview(action: cl.Action) -> None:
    await _drop_settings_prompt()
    await cl.Message(content="Carrying on with this interview. The new settings apply to the "
                     "next one you start.", author="Coach").send()


async def restart(choices: prof.ChatChoices, plan: PlanKind = "standard") -> None:
    old: Chat | None = cl.user_session.get("chat")
    if old is not None:
        await old.retire()  # kept, graded so far, marked ended early; its buttons go
    chat = await new_chat(choices, old.profile if old is not None else None)
    await chat.start_new(plan)


@cl.on_message
@guarded
async def on_message(message: cl.Message) -> None:
    chat: Chat | None = cl.user_session.get("chat")
    if chat is None:
        await cl.Message(content="Starting…", author="Coach").send()
        await on_chat_start()
        return
    text, files = message.content or "", list(message.elements or [])
    if files and not text.strip():  # a file alone left an empty bubble: name the file in it
        message.content = "Attached " + ", ".join(  # the page shows a user's text as typed
            str(getattr(f, "name", "a file")) for f in files)
        await message.update()
    await chat.on_text(text, files)


def _session_id(action: cl.Action) -> str:
    value = action.payload.get("session_id") if isinstance(action.payload, dict) else None
    return value if isinstance(value, str) else ""


@guarded
async def _turn(action: cl.Action) -> None:
    chat: Chat | None = cl.user_session.get("chat")
    if chat is not None:
        await chat.on_action(action.name, _session_id(action))


for _name in ("hint", "skip", "repeat", "end"):
    cl.action_callback(_name)(_turn)


@cl.action_callback("new_interview")
@guarded
async def on_new_interview(action: cl.Action) -> None:
    await action.remove()
    await _drop_settings_prompt()
    chat: Chat | None = cl.user_session.get("chat")
    pending = cl.user_session.get("pending_choices")
    choices = pending or (chat.choices if chat else prof.ChatChoices())
    cl.user_session.set("pending_choices", None)
    try:
        await restart(choices)
    except NotFoundError as e:
        await cl.ErrorMessage(content=str(e)).send()


@cl.action_callback("history")
@guarded
async def on_history(action: cl.Action) -> None:
    chat: Chat | None = cl.user_session.get("chat")
    if chat is not None:
        await chat.show_history()


@cl.action_callback("progress")
@guarded
async def on_progress(action: cl.Action) -> None:
    chat: Chat | None = cl.user_session.get("chat")
    if chat is not None:
        await chat.show_progress()


@cl.action_callback("weak_plan")
@guarded
async def on_weak_plan(action: cl.Action) -> None:
    """A new interview of the chat's stage (or loop) planned from the owner's history."""
    chat: Chat | None = cl.user_session.get("chat")
    pending = cl.user_session.get("pending_choices")
    choices = pending or (chat.choices if chat else prof.ChatChoices())
    cl.user_session.set("pending_choices", None)
    try:
        await restart(choices, plan="weak")
    except NotFoundError as e:
        await cl.ErrorMessage(content=str(e)).send()


@cl.action_callback("download_interview")
@guarded
async def on_download(action: cl.Action) -> None:
    chat: Chat | None = cl.user_session.get("chat")
    if chat is None:
        return
    try:
        await chat.download(_session_id(action))
    except NotFoundError:
        await cl.ErrorMessage(content="No such interview for you.", author="Coach").send()


@cl.action_callback("resume_interview")
@guarded
async def on_resume(action: cl.Action) -> None:
    chat: Chat | None = cl.user_session.get("chat")
    if chat is None:
        return
    try:
        await chat.switch_to(_session_id(action), cl.user_session.get("chat_profile"))
    except NotFoundError:
        await cl.ErrorMessage(content="No such interview for you.", author="Coach").send()
        return
    await cl.ChatSettings(settings_widgets(chat.choices, chat.pack.name)).send()


# owner -> the pack they just switched to; the reloaded page says so instead of "resumed"
_switched: dict[str, str] = {}


async def switch_pack(name: str, choices: prof.ChatChoices | None = None) -> None:
    """Practise another pack: remembered for this user, a new interview of it starts here.

    The stage menu at the top (Chainlit's chat profiles) is fetched by the page when it loads
    and cannot be replaced from the server; so the page is reloaded once: the new pack's stages
    are then listed, and the interview just started (recorded with its settings) resumes."""
    try:
        pack = await asyncio.to_thread(choose, settings(), current_owner(), name)
    except (NotFoundError, PackError) as e:
        await cl.ErrorMessage(content=f"That guide cannot be used: {e}", author="Coach").send()
        return
    old: Chat | None = cl.user_session.get("chat")
    if old is not None:
        await old.retire()
    choices = (choices or (old.choices if old else prof.ChatChoices())).model_copy(
        update={"pack": pack.name})
    await cl.ChatSettings(settings_widgets(choices, pack.name)).send()
    chat = await new_chat(choices, prof.profiles(pack)[-1])  # the full loop of the new pack
    await chat.notice(prof.switching_text(pack))
    await chat.start_new()
    owner = current_owner()
    if owner:
        _switched[owner] = pack.name
    await reload_page()


async def reload_page() -> None:
    """Ask the page to reload itself (Chainlit's frontend handles a "reload" event by reloading
    the window; Chainlit sends it itself when the app's files change)."""
    await cl.context.emitter.emit("reload", {})


@cl.action_callback("add_guide")
@guarded
async def on_add_guide(action: cl.Action) -> None:
    try:
        await ask_and_add(settings())
    finally:
        # Chainlit runs action callbacks without a task, but its file prompt starts one when
        # it returns; end it, or the page shows a run in progress and disables every button
        await cl.context.emitter.task_end()


@cl.action_callback("practise_pack")
@guarded
async def on_practise_pack(action: cl.Action) -> None:
    name = action.payload.get("pack") if isinstance(action.payload, dict) else None
    if isinstance(name, str):
        await switch_pack(name)
