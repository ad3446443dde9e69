"""Adding a guide from the page: the user uploads its .txt, it goes through the same checks as
`interviewer pack add`, and the page says what was added or exactly why not. A pack one user adds
is listed for every user of the app."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import chainlit as cl

from interviewer.core.errors import GuideParseError, IndexError_, InputError, PackError
from interviewer.core.markdown import md_escape
from interviewer.core.settings import Settings
from interviewer.packs.library import MAX_GUIDE_BYTES, AddResult, add_guide, guide_text
from interviewer.ui.pack_choice import GUIDE_HELP

log = logging.getLogger("interviewer.ui")
AUTHOR = "Coach"
ASK_TIMEOUT_S = 600


def add_guide_action() -> cl.Action:
    return cl.Action(name="add_guide", label="Add a guide", payload={}, icon="file-plus",
                     tooltip="Upload another company's interview guide (.txt) to practise it")


def practise_action(name: str, label: str) -> cl.Action:
    return cl.Action(name="practise_pack", label=f"Practise {label}", payload={"pack": name},
                     icon="play")


def check_upload(path: Path, name: str) -> str:
    """The uploaded file's text, or InputError naming what is wrong with it."""
    if Path(name).suffix.lower() != ".txt":
        raise InputError(f"{name}: a guide is uploaded as a .txt file")
    return guide_text(path.read_bytes(), name)


def added_text(result: AddResult) -> str:
    what = {"added": "Added", "replaced": "Replaced", "unchanged": "Already here, unchanged:"}
    return (f"{what[result.status]} **{md_escape(result.company)} "
            f"{md_escape(result.role)}**: {len(result.stages)} stages "
            f"({md_escape(', '.join(result.stages))}), {result.questions} questions. "
            "It is now listed under Settings → Interview guide for everyone who uses this app.")


async def ask_and_add(settings: Settings) -> AddResult | None:
    """Ask for the file, add it; None when nothing was added (the reason is shown)."""
    files: Any = await cl.AskFileMessage(
        content="Upload an interview guide as a .txt file. " + GUIDE_HELP,
        accept={"text/plain": [".txt"]}, max_size_mb=max(1, MAX_GUIDE_BYTES // 1_000_000),
        author=AUTHOR, timeout=ASK_TIMEOUT_S).send()
    if not files:
        return None
    upload = files[0]
    progress = await cl.Message(content=f"Reading {md_escape(upload.name)}…",
                                author=AUTHOR).send()
    try:
        text = check_upload(Path(upload.path), upload.name)
        result = await asyncio.to_thread(add_guide, settings, text)
    except GuideParseError as e:
        await _fail(progress, f"{upload.name} is not a guide of the expected kind: {e}. "
                    + GUIDE_HELP)
        return None
    except (InputError, PackError, IndexError_) as e:
        await _fail(progress, f"{upload.name} was not added: {e}")
        return None
    progress.content = added_text(result)
    progress.actions = [practise_action(result.name, f"{result.company} {result.role}")]
    await progress.update()
    return result


async def _fail(progress: cl.Message, text: str) -> None:
    await progress.remove()
    await cl.ErrorMessage(content=md_escape(text), author=AUTHOR).send()
