"""Which stored interviews a chat may see: only its owner's. Kept free of Chainlit so the rule
is tested on its own."""

from __future__ import annotations

from interviewer.core.errors import NotFoundError
from interviewer.core.events import Ended
from interviewer.core.summary import summarize
from interviewer.core.transcript import Transcript
from interviewer.transcripts.store import SessionInfo, TranscriptStore
from interviewer.ui.profiles import ProfileSpec


def owned_session(store: TranscriptStore, owner: str | None, session_id: str) -> SessionInfo:
    """A session of this owner, or NotFoundError: another owner's id looks like a missing one."""
    for info in store.list(owner) if owner else []:
        if info.session_id == session_id and info.owner == owner:
            return info
    raise NotFoundError("no such interview for you")


def open_session_for(store: TranscriptStore, owner: str | None, pack: str,
                     profile: ProfileSpec) -> SessionInfo | None:
    """The owner's latest unfinished interview of this profile's stage (what a reload resumes)."""
    if not owner:
        return None
    for info in store.list(owner):
        if info.finished or info.pack != pack or info.owner != owner:
            continue
        single = len(info.stages) == 1
        if (profile.stage is None and not single) or (single and info.stages[0] == profile.stage):
            return info
    return None


def latest_open_session(store: TranscriptStore, owner: str | None,
                        pack: str) -> SessionInfo | None:
    """The owner's most recently active unfinished interview, whatever its stage."""
    if not owner:
        return None
    return next((i for i in store.list(owner)
                 if not i.finished and i.pack == pack and i.owner == owner), None)


def latest_stage(info: SessionInfo | None) -> str | None:
    """The stage id of a single-stage interview; None for the full loop."""
    return info.stages[0] if info is not None and len(info.stages) == 1 else None


def ended_early(store: TranscriptStore, info: SessionInfo) -> bool:
    """Whether a finished interview was ended before its last question (by End, or abandoned
    for a new one): `SessionInfo` only says finished, which reads as completed."""
    if not info.finished:
        return False
    ends = [e for e in store.load(info.session_id) if isinstance(e, Ended)]
    return bool(ends) and ends[-1].reason == "ended_early"


def interview_outcome(store: TranscriptStore, info: SessionInfo) -> tuple[bool, float | None]:
    """(ended early, overall score so far) for a row of "My interviews", from one load."""
    events = store.load(info.session_id)
    ends = [e for e in events if isinstance(e, Ended)]
    early = info.finished and bool(ends) and ends[-1].reason == "ended_early"
    return early, summarize(Transcript.from_events(events)).overall
