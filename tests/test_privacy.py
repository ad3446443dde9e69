"""Privacy: one user's data is found and deleted (and only theirs), through the documented
command; transcript and export files are readable by their owner only."""

from __future__ import annotations

import io
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from session_support import FULL, make_services

import interviewer.cli.main as cli
from interviewer.app.privacy import check_private, delete_user_data, find_user_data, owners
from interviewer.core.session import SessionConfig
from interviewer.core.settings import Settings
from interviewer.interview.session import InterviewSession
from interviewer.transcripts.export import export


def _session(settings: Settings, owner: str | None) -> str:
    s = InterviewSession.create(make_services(settings), SessionConfig(
        pack="mini", stage="technical", questions=2, seed=3, owner=owner))
    s.start()
    s.send(FULL)
    for fmt in ("md", "json", "html"):
        export(s.transcript(), fmt, settings.data_dir / "exports")
    return s.session_id


@pytest.fixture
def stored(settings: Settings) -> dict[str, list[str]]:
    return {
        "user:alice": [_session(settings, "user:alice"), _session(settings, "user:alice")],
        "user:bob": [_session(settings, "user:bob")],
        "": [_session(settings, None)],
    }


def _files(settings: Settings) -> set[str]:
    out = set()
    for d in (settings.transcripts_dir, settings.data_dir / "exports"):
        out |= {p.name for p in d.iterdir()}
    return out


def test_find_and_delete_one_owner_only(settings: Settings,
                                        stored: dict[str, list[str]]) -> None:
    assert {o.owner: o.sessions for o in owners(settings)} == {
        "user:alice": 2, "user:bob": 1, None: 1}
    alice = find_user_data(settings, "user:alice")
    assert sorted(alice.sessions) == sorted(stored["user:alice"])
    assert len(alice.files) == 2 * 4  # transcript + 3 exports each
    before = _files(settings)
    dry = delete_user_data(settings, "user:alice", dry_run=True)
    assert len(dry.deleted) == 8 and _files(settings) == before
    report = delete_user_data(settings, "user:alice")
    assert len(report.deleted) == 8
    after = _files(settings)
    assert after == before - {p.name for p in alice.files}
    assert not any(sid in name for sid in stored["user:alice"] for name in after)
    assert all(any(sid in name for name in after) for sid in stored["user:bob"] + stored[""])
    assert find_user_data(settings, "user:alice").files == []
    assert delete_user_data(settings, "user:alice").deleted == []  # idempotent
    # bob's sessions still load and resume
    InterviewSession.resume(make_services(settings), stored["user:bob"][0]).resume_replies()


def test_a_damaged_transcript_is_still_found_by_its_first_line(
    settings: Settings, stored: dict[str, list[str]],
) -> None:
    sid = stored["user:bob"][0]
    path = settings.transcripts_dir / f"{sid}.jsonl"
    with path.open("ab") as f:
        f.write(b'{"type": "answered", "garbage\n{not json}\n')
    assert sid in find_user_data(settings, "user:bob").sessions
    delete_user_data(settings, "user:bob")
    assert not path.exists()


def test_data_command_deletes_with_confirmation(settings: Settings, stored: dict[str, list[str]],
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # not a terminal: --yes is required
    assert cli.main(["data", "delete", "--owner", "user:alice"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert len(find_user_data(settings, "user:alice").files) == 8
    assert cli.main(["data", "show", "--owner", "user:alice"]) == 0
    assert "2 session(s), 8 file(s)" in capsys.readouterr().out
    assert cli.main(["data", "delete", "--owner", "user:alice", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "deleted 8 file(s) of 2 session(s) of user:alice" in out
    assert find_user_data(settings, "user:alice").files == []
    assert cli.main(["data", "owners"]) == 0
    listed = capsys.readouterr().out
    assert "user:alice" not in listed and "user:bob" in listed


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_transcripts_and_exports_are_readable_by_their_owner_only(
    settings: Settings, stored: dict[str, list[str]], capsys: pytest.CaptureFixture[str],
) -> None:
    old = os.umask(0o022)  # a permissive umask must not loosen them
    try:
        _session(settings, "user:carol")
    finally:
        os.umask(old)
    for d in (settings.transcripts_dir, settings.data_dir / "exports"):
        assert _mode(d) & 0o077 == 0, d
        for p in d.iterdir():
            assert _mode(p) == 0o600, (p, oct(_mode(p)))
    assert check_private(settings) == []
    assert cli.main(["data", "check"]) == 0
    capsys.readouterr()
    victim = next(settings.transcripts_dir.iterdir())
    victim.chmod(0o644)
    assert [x.path for x in check_private(settings)] == [victim]
    assert cli.main(["data", "check"]) == 1
    assert "readable by others" in capsys.readouterr().out


def test_owner_is_required(settings: Settings) -> None:
    from interviewer.core.errors import InputError

    with pytest.raises(InputError):
        find_user_data(settings, "  ")


class _DbStore:
    """A database-backed store as the privacy code sees it through the store protocol: sessions
    are rows (no local files). Records what it is asked to delete."""

    def __init__(self, owners: dict[str, str | None]) -> None:
        from interviewer.core.stores import StoredSession

        self.rows = {sid: StoredSession(session_id=sid, owner=o) for sid, o in owners.items()}
        self.deleted: list[str] = []

    def find_sessions(self, owner: str | None = None) -> list[Any]:
        return [i for i in self.rows.values() if owner is None or i.owner == owner]

    def delete(self, session_id: str) -> bool:
        self.deleted.append(session_id)
        return self.rows.pop(session_id, None) is not None


def test_a_database_store_is_asked_to_delete_the_rows(settings: Settings) -> None:
    a, b = "a" * 32, "b" * 32
    exports = settings.data_dir / "exports"
    exports.mkdir(parents=True)
    (exports / f"{a}.md").write_text("alice's export")
    (exports / f"{b}.md").write_text("bob's export")
    fake = _DbStore({a: "user:alice", b: "user:bob"})
    db: Any = fake  # only the part of the protocol privacy uses
    assert {o.owner for o in owners(settings, store=db)} == {"user:alice", "user:bob"}
    dry = delete_user_data(settings, "user:alice", dry_run=True, store=db)
    assert dry.sessions == [a] and fake.deleted == [] and (exports / f"{a}.md").exists()
    report = delete_user_data(settings, "user:alice", store=db)
    assert report.sessions == [a] and fake.deleted == [a] and list(fake.rows) == [b]
    assert report.deleted == [exports / f"{a}.md"]  # the rows are no files
    assert not (exports / f"{a}.md").exists() and (exports / f"{b}.md").exists()
