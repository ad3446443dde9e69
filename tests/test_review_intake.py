"""A submission's intake: malicious and broken archives are refused with a reason, nothing is
written outside the review's private temporary folder, and that folder is gone afterwards.
The archives are made here (they are binary)."""

from __future__ import annotations

import stat
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from interviewer.core.errors import InputError, SubmissionError
from interviewer.review.intake import ReviewLimits, Upload, open_submission, safe_member_path

APP = b"def score(x: float) -> float:\n    return x\n"


@pytest.fixture
def private_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Where the review's temporary folders go in this test: checked empty afterwards."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def make_zip(path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]],
             compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _nested(tmp: Path) -> bytes:
    return make_zip(tmp / "inner.zip", [("a.py", APP)]).read_bytes()


LIMITS = ReviewLimits(max_files=5, max_file_bytes=256 * 1024, max_total_bytes=600 * 1024,
                      max_zip_ratio=50)

# name -> (members, the reason the refusal gives)
CASES: dict[str, tuple[Callable[[Path], list[tuple[str | zipfile.ZipInfo, bytes]]], str]] = {
    "climbs out": (lambda t: [("app.py", APP), ("../../escape.py", APP)], "climbs out"),
    "climbs out later": (lambda t: [("src/../../escape.py", APP)], "climbs out"),
    "absolute": (lambda t: [("/etc/cron.d/evil", APP)], "absolute path"),
    "windows absolute": (lambda t: [("C:\\evil.py", APP)], "absolute path"),
    "symlink": (lambda t: [("app.py", APP), (_symlink("link.py"), b"/etc/passwd")],
                "symbolic link"),
    "zip bomb by ratio": (lambda t: [("bomb.txt", b"0" * 200_000)], "zip bomb"),
    "total size": (lambda t: [(f"f{i}.txt", bytes(range(32, 127)) * 2000) for i in range(4)],
                   "unpacks to"),
    "too many files": (lambda t: [(f"m{i}.py", APP) for i in range(6)], "the limit is 5"),
    "binary member": (lambda t: [("app.py", APP), ("model.pkl", b"\x80\x04\x95\x00")],
                      "binary file"),
    "binary by content": (lambda t: [("data.txt", b"ab\x00cd")], "binary file"),
    "not utf-8": (lambda t: [("notes.md", "café".encode("latin-1"))], "not UTF-8"),
    "nested archive": (lambda t: [("inner.zip", _nested(t))], "archive inside"),
    "empty": (lambda t: [], "empty"),
    "only caches": (lambda t: [("__pycache__/a.pyc", b"x"), (".git/HEAD", b"ref")], "empty"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_malicious_or_broken_zip_is_refused_and_nothing_is_left(
        case: str, tmp_path: Path, private_tmp: Path) -> None:
    build, reason = CASES[case]
    work = tmp_path / "work"
    work.mkdir()
    zpath = make_zip(tmp_path / "sub.zip", build(tmp_path))
    before = {p for p in tmp_path.rglob("*")} - {private_tmp}
    with pytest.raises(SubmissionError, match=reason) as err, \
            open_submission([Upload(zpath, "submission.zip")], LIMITS):
        pass
    assert isinstance(err.value, InputError)  # the CLI and the page show its message
    assert list(private_tmp.iterdir()) == []  # the private folder is gone
    after = {p for p in tmp_path.rglob("*")} - {private_tmp}
    assert after == before, after - before  # nothing written anywhere else
    assert not any(p.name == "escape.py" for p in tmp_path.parent.rglob("escape.py"))


def test_a_climbing_member_is_refused_before_anything_is_unpacked(
        tmp_path: Path, private_tmp: Path) -> None:
    """The good member comes first: it is not written either (every name is checked first)."""
    zpath = make_zip(tmp_path / "s.zip", [("good.py", APP), ("../escape.py", APP)])
    seen: list[str] = []
    with pytest.raises(SubmissionError, match="Nothing was unpacked"), \
            open_submission([zpath], LIMITS) as sub:
        seen = [f.path for f in sub.files]
    assert seen == []
    assert not (tmp_path / "escape.py").exists() and not (tmp_path.parent / "escape.py").exists()


def test_a_good_zip_is_read_into_a_private_folder_that_is_removed(
        tmp_path: Path, private_tmp: Path) -> None:
    zpath = make_zip(tmp_path / "s.zip", [("proj/app.py", APP), ("proj/README.md", b"# R\n"),
                                          ("__MACOSX/proj/._app.py", b"\x00\x05")])
    with open_submission([Upload(zpath, "s.zip")], LIMITS) as sub:
        root = sub.root
        assert [f.path for f in sub.files] == ["proj/README.md", "proj/app.py"]
        assert stat.S_IMODE(root.parent.stat().st_mode) == 0o700
        assert (root / "proj" / "app.py").read_bytes() == APP
        assert root.is_relative_to(private_tmp)
    assert not root.exists() and list(private_tmp.iterdir()) == []


def test_headers_that_lie_about_sizes_are_caught_while_unpacking(
        tmp_path: Path, private_tmp: Path) -> None:
    """A member whose header claims a small size but unpacks to more is stopped by the bytes
    actually read (Python's zipfile also refuses a size mismatch)."""
    zpath = make_zip(tmp_path / "s.zip", [("big.txt", b"A" * 100_000)],
                     compression=zipfile.ZIP_STORED)
    data = bytearray(zpath.read_bytes())
    # the central directory's uncompressed size (offset 24 in the entry) now says 10 bytes
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (10).to_bytes(4, "little")
    zpath.write_bytes(bytes(data))
    with pytest.raises(SubmissionError), open_submission([zpath], LIMITS):
        pass
    assert list(private_tmp.iterdir()) == []


def test_an_encrypted_member_is_refused(tmp_path: Path, private_tmp: Path) -> None:
    zpath = make_zip(tmp_path / "s.zip", [("app.py", APP)])
    data = bytearray(zpath.read_bytes())
    data[6] |= 0x1  # the local header's flag bits: encrypted
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 8] |= 0x1  # and the central directory's
    zpath.write_bytes(bytes(data))
    with pytest.raises(SubmissionError, match="encrypted"), open_submission([zpath], LIMITS):
        pass
    assert list(private_tmp.iterdir()) == []


@pytest.mark.parametrize(("name", "ok"), [("a/b.py", True), ("./a.py", True),
                                          ("a/../../b.py", False), ("..", False),
                                          ("/abs.py", False), ("\\\\server\\x.py", False)])
def test_member_paths(name: str, ok: bool) -> None:
    if ok:
        assert not safe_member_path(name).startswith(("/", ".."))
    else:
        with pytest.raises(SubmissionError):
            safe_member_path(name)
