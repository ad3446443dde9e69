"""Privacy: find and delete one user's data, and keep secrets out of text that leaves the process.

A user's data is every stored session whose start event names them as owner (`user:<login>`
with password login, `browser:<id>` without), and the exports written for those sessions. The
sessions are found and deleted through the transcript store's protocol (`find_sessions`,
`delete`), whatever holds them (JSONL files, PostgreSQL); a session whose later events are
damaged is still found and deleted. Exports are files under the data dir, deleted here, and so
is the cache progress keeps of the owner's sessions (`<data dir>/progress/`, rebuilt from the
transcripts).

Secrets: `redact` replaces the configured secret values (and anything shaped like an API key)
in text; `install_log_redaction` does the same for every log record created from then on (any
logger, any handler), so a server that echoes the key cannot put it in a log.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from interviewer.core.errors import InputError
from interviewer.core.settings import Settings
from interviewer.core.stores import StoredSession, TranscriptStore
from interviewer.transcripts.store import fsync_dir

REDACTED = "[redacted]"
# Key-shaped strings: OpenAI-style `sk-...` (incl. sk-proj-), bearer tokens, long hex/base64ish
# tokens after "key"/"token"/"secret" assignments.
_KEY_SHAPES = re.compile(
    r"\bsk-[A-Za-z0-9_-]{16,}|"
    r"(?i:\bbearer\s+)[A-Za-z0-9._~+/-]{16,}=*|"
    r"(?i:\b(?:api[_-]?key|token|secret|password)\b[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._~+/-]{12,}"
)
MIN_SECRET_CHARS = 8  # shorter values would redact ordinary words


def secret_values(settings: Settings) -> list[str]:
    """Every secret value the settings hold (fields typed SecretStr), longest first."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name, None)
        if isinstance(value, SecretStr):
            raw = value.get_secret_value()
            if len(raw) >= MIN_SECRET_CHARS:
                values.append(raw)
    return sorted(set(values), key=len, reverse=True)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with each secret value and every key-shaped string replaced by [redacted]."""
    for secret in sorted({s for s in secrets if len(s) >= MIN_SECRET_CHARS}, key=len,
                         reverse=True):
        text = text.replace(secret, REDACTED)
    return _KEY_SHAPES.sub(_keep_label, text)


def _keep_label(m: re.Match[str]) -> str:
    """Keep "api_key=" / "Bearer " so the message still says what was there."""
    s = m.group(0)
    label = re.match(r"(?i)(bearer\s+|\b(?:api[_-]?key|token|secret|password)\b[\"']?\s*[:=]\s*"
                     r"[\"']?)", s)
    return (label.group(0) if label else "") + REDACTED


class RedactingFilter(logging.Filter):
    """Redacts secrets in a record's message and arguments (attach it to handlers)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= MIN_SECRET_CHARS]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format string: keep the raw parts
            message = f"{record.msg} {record.args}"
        clean = redact(message, self.secrets)
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            tb = "".join(traceback.format_exception(*record.exc_info))
            clean = f"{clean}\n{redact(tb, self.secrets)}".rstrip()
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = clean, None
        return True


_installed: list[str] = []  # the secrets the installed record factory redacts


def install_log_redaction(settings: Settings) -> None:
    """Redact secrets in every log record from now on, whatever logger or handler (libraries'
    DEBUG logs too: httpcore logs response headers, and a proxy may reflect the key in one).
    Call once at an edge (CLI, UI); calling again adds the new settings' secrets."""
    for value in secret_values(settings):
        if value not in _installed:
            _installed.append(value)
    previous = logging.getLogRecordFactory()
    if getattr(previous, "_redacting", False):
        return
    flt = RedactingFilter(())

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        flt.secrets = list(_installed)
        flt.filter(record)
        return record

    # typed: a marker set on the logging record factory so it is wrapped once
    factory._redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


# --- one user's data ----------------------------------------------------------------------------


class UserData(BaseModel):
    """The files that hold one owner's data."""

    owner: str
    sessions: list[str] = Field(default_factory=list)
    files: list[Path] = Field(default_factory=list)


class OwnerSummary(BaseModel):
    owner: str | None
    sessions: int


class DeletionReport(BaseModel):
    owner: str
    sessions: list[str]
    deleted: list[Path]
    dry_run: bool


def exports_dir(settings: Settings) -> Path:
    return settings.data_dir / "exports"


def _store(settings: Settings, store: TranscriptStore | None) -> TranscriptStore:
    """The given store, else the one the settings choose (files, or PostgreSQL)."""
    if store is not None:
        return store
    from interviewer.app.services import make_transcript_store

    return make_transcript_store(settings)


def owners(settings: Settings, *, store: TranscriptStore | None = None) -> list[OwnerSummary]:
    """Every owner with stored sessions (None: sessions started without an owner)."""
    counts: dict[str | None, int] = {}
    for found in _store(settings, store).find_sessions():
        counts[found.owner] = counts.get(found.owner, 0) + 1
    return [OwnerSummary(owner=o, sessions=n)
            for o, n in sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]


def _exports_of(settings: Settings, sid: str) -> list[Path]:
    ex = exports_dir(settings)
    return sorted(p for p in ex.glob(f"{sid}.*") if p.is_file()) if ex.is_dir() else []


def find_user_data(settings: Settings, owner: str, *,
                   store: TranscriptStore | None = None) -> UserData:
    """The sessions of `owner` and the files that hold them: the store's (a transcript file
    each; none when they are database rows) and the exports."""
    return _find(settings, owner, _store(settings, store))[0]


def _find(settings: Settings, owner: str,
          store: TranscriptStore) -> tuple[UserData, list[StoredSession]]:
    if not owner.strip():
        raise InputError("an owner is required (e.g. user:alice or browser:<id>)")
    data = UserData(owner=owner)
    found = store.find_sessions(owner)
    for session in found:
        data.sessions.append(session.session_id)
        data.files.extend(session.files)
        data.files.extend(_exports_of(settings, session.session_id))
    data.files.extend(_progress_cache(settings, owner))
    return data, found


def _progress_cache(settings: Settings, owner: str) -> list[Path]:
    """The owner's progress cache (digests of their sessions, their last progress per pack)."""
    from interviewer.transcripts.progress_cache import cache_files

    return cache_files(settings.progress_dir, owner)


def delete_user_data(settings: Settings, owner: str, *, dry_run: bool = False,
                     store: TranscriptStore | None = None) -> DeletionReport:
    """Delete every session, export and progress cache of `owner`. Idempotent: a second run
    finds nothing."""
    db = _store(settings, store)
    data, found = _find(settings, owner, db)
    if dry_run:
        return DeletionReport(owner=owner, sessions=data.sessions, deleted=data.files,
                              dry_run=True)
    deleted: list[Path] = []
    for session in found:
        if db.delete(session.session_id):
            deleted.extend(session.files)
    exports: list[Path] = []
    files = [p for session in found for p in _exports_of(settings, session.session_id)]
    # the progress cache after the sessions, so nothing of theirs is left to rebuild it from
    for path in [*files, *_progress_cache(settings, owner)]:
        try:
            path.unlink()
            exports.append(path)
        except FileNotFoundError:
            continue
    for d in {p.parent for p in exports}:
        fsync_dir(d)  # the unlinks durable, like the appends
    return DeletionReport(owner=owner, sessions=data.sessions, deleted=deleted + exports,
                          dry_run=False)


# --- file permissions ---------------------------------------------------------------------------


class LoosePermission(BaseModel):
    path: Path
    mode: str


def check_private(settings: Settings) -> list[LoosePermission]:
    """Transcript, export and progress-cache files (and their folders) readable by anyone but
    their owner."""
    out = []
    for d in (settings.transcripts_dir, exports_dir(settings), settings.progress_dir):
        if not d.is_dir():
            continue
        for p in [d, *sorted(d.iterdir())]:
            mode = p.stat().st_mode & 0o777
            if mode & 0o077:
                out.append(LoosePermission(path=p, mode=oct(mode)))
    return out
