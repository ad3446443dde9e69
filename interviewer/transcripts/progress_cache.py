"""One owner's session digests, read from the transcript store through a cache it can rebuild.

Progress over a thousand sessions must not parse a thousand transcripts each time. The cache holds
one `SessionDigest` per session with the signature of the transcript it was made from (a JSONL
file's size and modification time; a database session's last update, answered count and state).
A session whose signature changed is read again, one that disappeared is dropped, and a missing,
unreadable or older-version cache is simply rebuilt: the transcripts stay the only source of
truth. Beside it, per pack, the progress last computed and the signatures it was computed from:
while they match (nothing of the owner's changed), that progress is the answer, without reading
a digest. Files per owner, `<progress dir>/<sha256 of the owner>.jsonl` and `.<pack>.json`
(0600 in a 0700 folder), so `interviewer data delete` removes exactly that owner's.

Which JSONL transcripts are the owner's is read from the cache or, for files it has not seen,
from the owner field at the start of the file's first line (no full parse). The digests file is
JSON lines (a header, then one session per line), so a new or changed session is one appended
line, not a rewrite of a thousand.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from interviewer.core.errors import NotFoundError, TranscriptStoreError
from interviewer.core.stores import TranscriptStore
from interviewer.core.transcript import Transcript
from interviewer.transcripts.progress import Progress, SessionDigest, compute_progress, digest
from interviewer.transcripts.store import JsonlTranscriptStore

if TYPE_CHECKING:
    from interviewer.core.pack import Pack

log = logging.getLogger(__name__)

CACHE_VERSION = 2  # 2: digests as JSON lines, appended to
_ID = re.compile(r"^[0-9a-f]{32}$")
# the owner field of a start event as the store writes it (its fields before `owner` hold no
# free text); anything else falls back to parsing the whole line
_OWNER = re.compile(rb'"owner":(null|"(?:[^"\\]|\\.)*")')
_HEAD_BYTES = 4096


class _Entry(BaseModel):
    sid: str
    sig: str
    digest: SessionDigest | None = None  # None: the transcript could not be read (see `problem`)
    problem: str | None = None


class _Header(BaseModel):
    version: int = CACHE_VERSION
    owner: str | None = None


@dataclass
class _Cache:
    """The digests file as read: a header line, then one entry per line (the last line of a
    session wins). New and changed entries are appended; the file is rewritten when sessions
    went away, or when superseded lines outnumber the live ones (`COMPACT_AT`)."""

    owner: str | None
    sessions: dict[str, _Entry] = field(default_factory=dict)
    lines: int = 0  # entry lines in the file
    rewrite: bool = True  # no usable file: write it whole


_ENTRIES: TypeAdapter[list[_Entry]] = TypeAdapter(list[_Entry])
COMPACT_AT = 2  # rewrite when the file holds this many times the live entries (plus a few)


class _Summary(BaseModel):
    """The progress last computed for one pack, and the transcript signatures it was computed
    from: while they (and the pack) are the same, it is the answer, without reading a digest."""

    version: int = CACHE_VERSION
    owner: str | None = None
    pack_fingerprint: str
    sigs: dict[str, str]
    progress: Progress


class Digests(BaseModel):
    """An owner's session digests, and the sessions that could not be read (named, not lost)."""

    owner: str | None
    digests: list[SessionDigest] = Field(default_factory=list)
    unreadable: dict[str, str] = Field(default_factory=dict)  # session id -> why
    rebuilt: int = 0  # sessions read from their transcripts this time (the rest came cached)


def owner_key(owner: str | None) -> str:
    """The cache file's name for an owner: owners end up in transcripts, never in paths."""
    text = f"owner:{owner}" if owner is not None else "no-owner"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def cache_file(cache_dir: Path, owner: str | None) -> Path:
    """The owner's digests."""
    return cache_dir / f"{owner_key(owner)}.jsonl"


def summary_file(cache_dir: Path, owner: str | None, pack: str) -> Path:
    """The owner's last computed progress on one pack."""
    pack_key = hashlib.sha256(pack.encode("utf-8")).hexdigest()[:12]
    return cache_dir / f"{owner_key(owner)}.{pack_key}.json"


def cache_files(cache_dir: Path, owner: str | None) -> list[Path]:
    """Every file the cache holds for an owner (what a privacy deletion removes)."""
    if not cache_dir.is_dir():
        return []
    key = owner_key(owner)
    return sorted(p for p in cache_dir.glob(f"{key}.*") if p.suffix in (".json", ".jsonl"))


def pack_fingerprint(pack: Pack) -> str:
    """A pack's content (its questions' texts, key points and topic table shape progress)."""
    return hashlib.sha256(pack.model_dump_json().encode("utf-8")).hexdigest()


def signatures(store: TranscriptStore, owner: str | None,
               known: Iterable[str] = ()) -> dict[str, str]:
    """Session id -> signature of each of the owner's transcripts (`known`: ids already known to
    be theirs, which spares reading those files' first lines)."""
    if isinstance(store, JsonlTranscriptStore):
        return _jsonl_signatures(store, owner, set(known))
    return {i.session_id: f"{i.updated_at.isoformat()}|{i.answered}|{i.finished}"
            for i in store.list(owner) if i.owner == owner}


def load_digests(store: TranscriptStore, owner: str | None, *,
                 cache_dir: Path | None = None,
                 sigs: dict[str, str] | None = None) -> Digests:
    """Every session of `owner` as a digest: from the cache where its transcript is unchanged,
    else read from the store (and the cache updated). `sigs`: `signatures` already taken."""
    cache = _read_cache(cache_dir, owner) if cache_dir is not None else _Cache(owner=owner)
    if sigs is None:
        sigs = signatures(store, owner, cache.sessions)
    out = Digests(owner=owner)
    gone = set(cache.sessions) - set(sigs)  # sessions gone from the store
    for sid in gone:
        del cache.sessions[sid]
    added: list[_Entry] = []
    for sid, sig in sigs.items():
        entry = cache.sessions.get(sid)
        if entry is None or entry.sig != sig:
            entry = _read_session(store, sid, sig)
            if entry is None:
                continue  # deleted while being read
            if entry.digest is not None and entry.digest.owner != owner:
                continue  # not this owner's after all (a hand-edited file)
            cache.sessions[sid] = entry
            added.append(entry)
            out.rebuilt += 1
        if entry.digest is not None:
            out.digests.append(entry.digest)
        else:
            out.unreadable[sid] = entry.problem or "unreadable"
    if (gone or added) and cache_dir is not None:
        _write_cache(cache_dir, cache, added, whole=bool(gone))
    return out


def progress_for(store: TranscriptStore, owner: str | None, pack: Pack, *,
                 cache_dir: Path | None = None, now: datetime | None = None) -> Progress:
    """The owner's progress on one pack, from the store (through the cache): the last result
    while no transcript of theirs changed, else computed again from their digests."""
    now = now or datetime.now(UTC)
    with _gc_paused():
        fingerprint = pack_fingerprint(pack)
        last = _read_summary(cache_dir, owner, pack.name) if cache_dir is not None else None
        if last is not None and last.pack_fingerprint != fingerprint:
            last = None
        sigs = signatures(store, owner, last.sigs if last is not None else ())
        if last is not None and last.sigs == sigs:
            return last.progress.model_copy(update={"generated_at": now})
        found = load_digests(store, owner, cache_dir=cache_dir, sigs=sigs)
        progress = compute_progress(found.digests, owner=owner, pack=pack.name, pack_data=pack,
                                    now=now)
        if cache_dir is not None and sigs:
            summary = _Summary(owner=owner, pack_fingerprint=fingerprint, sigs=sigs,
                               progress=progress)
            _write_atomically(cache_dir, summary_file(cache_dir, owner, pack.name),
                              summary.model_dump_json().encode("utf-8"))
        return progress


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Reading a thousand digests makes tens of thousands of small objects, none of them cyclic
    garbage; the collector's full passes over the whole heap (the app's is large) cost more than
    the work itself. Paused for those few milliseconds, then back as it was."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# --- reading sessions ---------------------------------------------------------------------------


def _read_session(store: TranscriptStore, sid: str, sig: str) -> _Entry | None:
    try:
        events = store.load(sid)
        return _Entry(sid=sid, sig=sig, digest=digest(Transcript.from_events(events)))
    except NotFoundError:
        return None
    except (TranscriptStoreError, ValueError, KeyError, IndexError) as e:
        # a corrupt or inconsistent transcript: named in the result, read again when it changes
        log.warning("progress: session %s is left out: %s", sid, e)
        return _Entry(sid=sid, sig=sig, problem=str(e))


def _jsonl_signatures(store: JsonlTranscriptStore, owner: str | None,
                      known: set[str]) -> dict[str, str]:
    """Session id -> signature of this owner's transcript files."""
    out: dict[str, str] = {}
    try:
        entries = os.scandir(store.directory)
    except (FileNotFoundError, NotADirectoryError):
        return out
    with entries:
        for entry in entries:
            name = entry.name
            if not name.endswith(".jsonl") or not _ID.match(name[:-6]):
                continue
            sid = name[:-6]
            try:
                st = entry.stat()
            except FileNotFoundError:
                continue
            if sid in known or _owner_of(Path(entry.path)) == (True, owner):
                out[sid] = f"{st.st_size}:{st.st_mtime_ns}"
    return out


def _owner_of(path: Path) -> tuple[bool, str | None]:
    """(readable, owner) of a transcript file, from its first line's start."""
    try:
        with path.open("rb") as f:
            head = f.read(_HEAD_BYTES)
            first = head.split(b"\n", 1)[0]
            if b"\n" not in head and len(head) == _HEAD_BYTES:
                first = head + f.readline()
    except OSError:
        return False, None
    m = _OWNER.search(first)
    try:
        if m is not None:
            value = json.loads(m.group(1))
        else:
            data = json.loads(first)
            if not isinstance(data, dict) or data.get("type") != "session_started":
                return False, None
            value = data.get("owner")
    except ValueError:
        return False, None
    return True, value if isinstance(value, str) else None


# --- the cache file -----------------------------------------------------------------------------


def _read_cache(cache_dir: Path, owner: str | None) -> _Cache:
    path = cache_file(cache_dir, owner)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return _Cache(owner=owner)
    except OSError as e:
        log.warning("progress cache %s unreadable (%s); rebuilding it", path, e)
        return _Cache(owner=owner)
    head, _, body = raw.partition(b"\n")
    lines = [line for line in body.split(b"\n") if line.strip()]
    try:
        header = _Header.model_validate_json(head)
        entries = _ENTRIES.validate_json(b"[" + b",".join(lines) + b"]")
    except ValidationError:
        log.warning("progress cache %s is damaged; rebuilding it from the transcripts", path)
        return _Cache(owner=owner)
    if header.version != CACHE_VERSION or header.owner != owner:
        return _Cache(owner=owner)
    return _Cache(owner=owner, sessions={e.sid: e for e in entries}, lines=len(lines),
                  rewrite=False)


def _read_summary(cache_dir: Path, owner: str | None, pack: str) -> _Summary | None:
    path = summary_file(cache_dir, owner, pack)
    try:
        summary = _Summary.model_validate_json(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValidationError) as e:
        log.warning("progress summary %s unusable (%s); computing it again", path,
                    type(e).__name__)
        return None
    if summary.version != CACHE_VERSION or summary.owner != owner or \
            summary.progress.pack != pack:
        return None
    return summary


def _write_cache(cache_dir: Path, cache: _Cache, added: list[_Entry], *, whole: bool) -> None:
    """Append the new and changed entries, or write the file whole (see `_Cache`)."""
    path = cache_file(cache_dir, cache.owner)
    live = len(cache.sessions)
    if not (whole or cache.rewrite or cache.lines + len(added) > COMPACT_AT * live + 16):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            pass  # deleted meanwhile: written whole below
        except OSError as e:
            log.warning("progress cache %s not written (%s); it is rebuilt next time", path, e)
            return
        else:
            try:
                os.write(fd, b"".join(_line(e) for e in added))  # one write: no interleaving
            except OSError as e:
                log.warning("progress cache %s not appended to (%s)", path, e)
            finally:
                os.close(fd)
            return
    data = _Header(owner=cache.owner).model_dump_json().encode("utf-8") + b"\n" + \
        b"".join(_line(e) for e in cache.sessions.values())
    _write_atomically(cache_dir, path, data)


def _line(entry: _Entry) -> bytes:
    return entry.model_dump_json().encode("utf-8") + b"\n"


def _write_atomically(cache_dir: Path, path: Path, data: bytes) -> None:
    """A reader sees the old file or the new one, owner-only; a failure only costs the next run
    a rebuild."""
    tmp: str | None = None
    try:
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".progress-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        log.warning("progress cache %s not written (%s); it is rebuilt next time", path, e)
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
