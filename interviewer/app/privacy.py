"""Privacy: find and delete one user's data, and keep secrets out of text that leaves the process.

A user's data is every transcript whose start event names them as owner (`user:<login>` with
password login, `browser:<id>` without), the exports written for those sessions, and the cache
progress keeps of them (`<data dir>/progress/`, rebuilt from the transcripts). Ownership
is read from each transcript's first line only, so a transcript with a damaged tail is still
found and deleted.

Secrets: `redact` replaces the configured secret values (and anything shaped like an API key)
in text; `install_log_redaction` does the same for every log record created from then on (any
logger, any handler), so a server that echoes the key cannot put it in a log.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr

from interviewer.core.errors import ConfigError, InputError
from interviewer.core.settings import Settings
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


def _first_event(path: Path) -> dict[str, object] | None:
    try:
        with path.open("rb") as f:
            line = f.readline()
        data = json.loads(line)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("type") == "session_started" else None


def _transcripts(settings: Settings) -> list[tuple[Path, dict[str, object] | None]]:
    d = settings.transcripts_dir
    if not d.is_dir():
        return []
    return [(p, _first_event(p)) for p in sorted(d.glob("*.jsonl"))]


def _db_store(settings: Settings, store: Any | None) -> Any | None:
    """The transcript store when transcripts are not JSONL files (PostgreSQL), else None."""
    if store is not None:
        return store
    if getattr(settings, "database_url", None) is None:
        return None
    from interviewer.app.services import make_transcript_store

    return make_transcript_store(settings)


def owners(settings: Settings, *, store: Any | None = None) -> list[OwnerSummary]:
    """Every owner with stored sessions (None: sessions started without an owner)."""
    counts: dict[str | None, int] = {}
    db = _db_store(settings, store)
    if db is not None:
        found: list[str | None] = [i.owner for i in db.list()]
    else:
        found = []
        for _, start in _transcripts(settings):
            if start is not None:
                owner = start.get("owner")
                found.append(owner if isinstance(owner, str) else None)
    for key in found:
        counts[key] = counts.get(key, 0) + 1
    return [OwnerSummary(owner=o, sessions=n)
            for o, n in sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))]


def _exports_of(settings: Settings, sid: str) -> list[Path]:
    ex = exports_dir(settings)
    return sorted(p for p in ex.glob(f"{sid}.*") if p.is_file()) if ex.is_dir() else []


def find_user_data(settings: Settings, owner: str, *, store: Any | None = None) -> UserData:
    """The sessions of `owner` and the files that hold them (transcripts, exports). With a
    database store, its sessions are rows and only the exports are files."""
    if not owner.strip():
        raise InputError("an owner is required (e.g. user:alice or browser:<id>)")
    data = UserData(owner=owner)
    db = _db_store(settings, store)
    if db is not None:
        for info in db.list(owner=owner):
            data.sessions.append(info.session_id)
            data.files.extend(_exports_of(settings, info.session_id))
    else:
        for path, start in _transcripts(settings):
            if start is None or start.get("owner") != owner:
                continue
            data.sessions.append(path.stem)
            data.files.append(path)
            data.files.extend(_exports_of(settings, path.stem))
    data.files.extend(_progress_cache(settings, owner))
    return data


def _progress_cache(settings: Settings, owner: str) -> list[Path]:
    """The owner's progress cache (digests of their sessions, their last progress per pack)."""
    from interviewer.transcripts.progress_cache import cache_files

    return cache_files(settings.progress_dir, owner)


def delete_user_data(settings: Settings, owner: str, *, dry_run: bool = False,
                     store: Any | None = None) -> DeletionReport:
    """Delete every transcript and export of `owner`. Idempotent: a second run finds nothing."""
    data = find_user_data(settings, owner, store=store)
    db = _db_store(settings, store)
    if db is not None and data.sessions:
        delete = getattr(db, "delete", None)
        if delete is None:
            raise ConfigError(
                f"{type(db).__name__} cannot delete sessions yet (it needs a `delete(session_id)`"
                "); nothing was deleted")
        if not dry_run:
            for sid in data.sessions:
                delete(sid)
    deleted: list[Path] = []
    for path in data.files:
        if dry_run:
            deleted.append(path)
            continue
        try:
            path.unlink()
            deleted.append(path)
        except FileNotFoundError:
            continue
    if not dry_run and deleted:
        for d in {p.parent for p in deleted}:
            fsync_dir(d)  # the unlinks durable, like the appends
    return DeletionReport(owner=owner, sessions=data.sessions, deleted=deleted, dry_run=dry_run)


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
