"""Safe intake of a take-home submission: files, a folder or a .zip, read as text only.

Nothing in a submission is executed or imported. Everything is checked before a byte is
written: zip members that climb out of their folder (`..`) or are absolute, symlinks, encrypted
or nested archives, zip bombs (each member's unpacked-to-packed ratio and the total unpacked
size, counted while unpacking, not trusted from the headers), binary files, text that is not
UTF-8, too many files, an empty submission. Each refusal is a `SubmissionError` naming the file
and the reason. Accepted files are written only into a private temporary folder (mode 0700)
that is removed when the review ends; the analyzers read them there.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from pydantic import BaseModel, Field

from interviewer.core.errors import SubmissionError
from interviewer.core.settings import Settings

FileKind = Literal["python", "notebook", "markdown", "requirements", "pyproject", "lock",
                   "text"]

# Folders and files a packed project carries that are not the candidate's work: skipped, not
# refused (a zip made on a Mac has __MACOSX/, a project folder may hold .git/ and .venv/).
SKIPPED_PARTS = frozenset({"__pycache__", ".git", ".hg", ".svn", ".venv", "venv",
                           "node_modules", ".ipynb_checkpoints", "__MACOSX", ".mypy_cache",
                           ".pytest_cache", ".ruff_cache", ".idea", ".vscode", ".tox"})
SKIPPED_NAMES = frozenset({".DS_Store", "Thumbs.db"})
# Binary by name, whatever the bytes say (a pickle can be free of NUL bytes).
BINARY_SUFFIXES = frozenset({".pkl", ".pickle", ".joblib", ".npy", ".npz", ".h5", ".hdf5",
                             ".onnx", ".pt", ".pth", ".bin", ".parquet", ".feather", ".png",
                             ".jpg", ".jpeg", ".gif", ".pdf", ".so", ".dll", ".exe", ".pyc",
                             ".whl", ".db", ".sqlite", ".xlsx", ".docx"})
ARCHIVE_SUFFIXES = frozenset({".zip", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar"})
LOCK_NAMES = frozenset({"poetry.lock", "uv.lock", "pdm.lock", "pipfile.lock",
                        "requirements.lock", "conda-lock.yml"})
SNIFF_BYTES = 8192  # NUL bytes in the head of a file: binary
CHUNK = 64 * 1024
# The ratio check applies to members that unpack to more than this: a small file of blank
# lines compresses far better than 100:1 and is harmless.
RATIO_MIN_BYTES = 64 * 1024


class ReviewLimits(BaseModel):
    """The intake's limits (Settings: INTERVIEWER_REVIEW_*)."""

    max_files: int = 300
    max_file_bytes: int = 512 * 1024
    max_total_bytes: int = 8 * 1024 * 1024
    max_zip_ratio: float = 100.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ReviewLimits:
        return cls(max_files=settings.review_max_files,
                   max_file_bytes=settings.review_max_file_kb * 1024,
                   max_total_bytes=int(settings.review_max_total_mb * 1024 * 1024),
                   max_zip_ratio=settings.review_max_zip_ratio)


class NotebookCell(BaseModel):
    number: int  # 1-based, every cell counted (as Jupyter shows them)
    kind: Literal["code", "markdown"]
    source: str


class SourceFile(BaseModel):
    """One accepted file: its path inside the submission, its text, what kind of file it is."""

    path: str
    text: str
    kind: FileKind
    cells: list[NotebookCell] = Field(default_factory=list)  # notebooks only

    @property
    def is_test(self) -> bool:
        p = PurePosixPath(self.path)
        return (p.name.startswith("test_") or p.stem.endswith("_test")
                or p.name == "conftest.py"
                or any(part in ("tests", "test") for part in p.parts[:-1]))


class Submission(BaseModel):
    """The accepted files, and the private folder holding them as the analyzers read them."""

    files: list[SourceFile]
    root: Path  # <private temp dir>/files: each file at its submission path
    skipped: list[str] = Field(default_factory=list)  # caches and VCS folders left out

    def disk_path(self, f: SourceFile) -> Path:
        return self.root / f.path

    @property
    def python(self) -> list[SourceFile]:
        return [f for f in self.files if f.kind == "python"]

    @property
    def notebooks(self) -> list[SourceFile]:
        return [f for f in self.files if f.kind == "notebook"]


@dataclass(frozen=True)
class Upload:
    """A file given to the review: where its bytes are and the name it was given (a page
    upload is stored under a random name; its original name is what the candidate sees)."""

    path: Path
    name: str


def _human(n: float) -> str:
    return f"{n / 1024:.0f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def kind_of(path: str) -> FileKind:
    p = PurePosixPath(path)
    name, suffix = p.name.lower(), p.suffix.lower()
    if suffix == ".py":
        return "python"
    if suffix == ".ipynb":
        return "notebook"
    if suffix in (".md", ".markdown", ".rst"):
        return "markdown"
    if name in LOCK_NAMES:
        return "lock"
    if name == "pyproject.toml":
        return "pyproject"
    if (name.startswith("requirements") and suffix in (".txt", ".in")) or name == "pipfile":
        return "requirements"
    return "text"


def safe_member_path(name: str) -> str:
    """A zip member's name as a relative POSIX path, or SubmissionError when it is absolute or
    climbs out of its folder (`..`): such a member would be written outside the target."""
    unified = name.replace("\\", "/")
    if unified.startswith("/") or (len(unified) > 1 and unified[1] == ":"):
        raise SubmissionError(f"{name!r} has an absolute path; a submission's files must be "
                              "relative to its folder. Nothing was unpacked.")
    parts = [p for p in unified.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise SubmissionError(f"{name!r} climbs out of its folder ('..'); refusing the archive. "
                              "Nothing was unpacked.")
    if not parts:
        raise SubmissionError(f"{name!r} is not a usable file name")
    return "/".join(parts)


def _skipped(rel: str) -> bool:
    p = PurePosixPath(rel)
    return p.name in SKIPPED_NAMES or any(part in SKIPPED_PARTS for part in p.parts[:-1])


def decode_text(data: bytes, name: str) -> str:
    """The file's text, or SubmissionError: binary (NUL bytes, or a binary type by name) or not
    UTF-8."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in BINARY_SUFFIXES or b"\x00" in data[:SNIFF_BYTES]:
        raise SubmissionError(f"{name} is a binary file; a submission holds code and text only "
                              "(leave out models, data and images, say in the README how to "
                              "get them)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise SubmissionError(f"{name} is not UTF-8 text (byte {e.start}); save it as UTF-8 "
                              "and upload it again") from e


def notebook_cells(text: str, name: str) -> list[NotebookCell]:
    """A notebook's markdown and code cells, numbered as Jupyter counts them (outputs are not
    the candidate's words and are dropped)."""
    try:
        nb = json.loads(text)
    except json.JSONDecodeError as e:
        raise SubmissionError(f"{name} is not a valid notebook (not JSON: {e.msg})") from e
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list):
        raise SubmissionError(f"{name} is not a valid notebook (no cells)")
    out: list[NotebookCell] = []
    for i, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("markdown", "code"):
            continue
        source = cell.get("source", "")
        body = "".join(source) if isinstance(source, list) else str(source)
        out.append(NotebookCell(number=i, kind=cell["cell_type"], source=body))
    return out


class _Intake:
    """Collects accepted files into the private folder, enforcing the limits as it goes."""

    def __init__(self, root: Path, limits: ReviewLimits) -> None:
        self.root = root
        self.limits = limits
        self.files: dict[str, SourceFile] = {}
        self.total = 0
        self.skipped: list[str] = []

    def _count(self) -> None:
        if len(self.files) >= self.limits.max_files:
            raise SubmissionError(f"the submission has more than {self.limits.max_files} files; "
                                  "upload the project's code, notebooks, README and "
                                  "requirements only")

    def _budget(self, size: int, name: str) -> None:
        if size > self.limits.max_file_bytes:
            hint = (" (clear the notebook's outputs and save it again)"
                    if name.lower().split(" (in ")[0].endswith(".ipynb") else "")
            raise SubmissionError(f"{name} is {_human(size)}; the limit per file is "
                                  f"{_human(self.limits.max_file_bytes)}{hint}")
        if self.total + size > self.limits.max_total_bytes:
            raise SubmissionError(f"the submission unpacks to more than "
                                  f"{_human(self.limits.max_total_bytes)} (at {name}); the "
                                  "limit keeps a review quick and refuses zip bombs")

    def add(self, rel: str, data: bytes, shown: str) -> None:
        """Check one file's bytes and write it under the private root."""
        if _skipped(rel):
            self.skipped.append(rel)
            return
        if PurePosixPath(rel).suffix.lower() in ARCHIVE_SUFFIXES:
            raise SubmissionError(f"{shown} is an archive inside the submission; archives are "
                                  "not unpacked twice: upload one .zip of the project")
        self._count()
        self._budget(len(data), shown)
        key = rel.lower()
        if any(k.lower() == key for k in self.files):
            raise SubmissionError(f"two files are named {rel}; rename one and upload again")
        text = decode_text(data, shown)
        kind = kind_of(rel)
        cells = notebook_cells(text, shown) if kind == "notebook" else []
        self._write(rel, data)
        self.total += len(data)
        self.files[rel] = SourceFile(path=rel, text=text, kind=kind, cells=cells)

    def _write(self, rel: str, data: bytes) -> None:
        """Write inside the root only: the path was checked already; the resolved target is
        checked again and the file is created exclusively, never through a link."""
        target = (self.root / rel).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise SubmissionError(f"{rel!r} would be written outside the review folder")
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)

    # --- sources ----------------------------------------------------------------------------

    def read_file(self, path: Path, rel: str) -> None:
        try:
            st = path.lstat()
        except OSError as e:
            raise SubmissionError(f"cannot read {path}: {e.strerror or e}") from e
        if stat.S_ISLNK(st.st_mode):
            raise SubmissionError(f"{rel} is a symbolic link; upload the file itself")
        if not stat.S_ISREG(st.st_mode):
            raise SubmissionError(f"{rel} is not a regular file")
        if _skipped(rel):
            self.skipped.append(rel)
            return
        self._budget(st.st_size, rel)  # before reading it
        try:
            data = path.read_bytes()
        except OSError as e:
            raise SubmissionError(f"cannot read {rel}: {e.strerror or e}") from e
        self.add(rel, data, rel)

    def read_folder(self, folder: Path, prefix: str) -> None:
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            here = Path(dirpath)
            for d in list(dirnames):
                if (here / d).is_symlink():
                    raise SubmissionError(f"{_rel(here / d, folder, prefix)} is a symbolic link; "
                                          "upload the files themselves")
                if d in SKIPPED_PARTS:
                    dirnames.remove(d)
                    self.skipped.append(_rel(here / d, folder, prefix) + "/")
            dirnames.sort()
            for name in sorted(filenames):
                self.read_file(here / name, _rel(here / name, folder, prefix))

    def read_zip(self, path: Path, shown: str) -> None:
        try:
            zf = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as e:
            raise SubmissionError(f"{shown} is not a readable .zip ({e})") from e
        with zf:
            members = [i for i in zf.infolist() if not i.is_dir()]
            # every member checked before any is unpacked
            names: list[tuple[zipfile.ZipInfo, str]] = []
            declared = 0
            for info in members:
                rel = safe_member_path(info.filename)
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    raise SubmissionError(f"{info.filename!r} in {shown} is a symbolic link; "
                                          "refusing the archive. Nothing was unpacked.")
                if info.flag_bits & 0x1:
                    raise SubmissionError(f"{info.filename!r} in {shown} is encrypted; upload "
                                          "an archive without a password")
                if _skipped(rel):
                    self.skipped.append(rel)
                    continue
                self._ratio(info, shown)
                declared += info.file_size
                names.append((info, rel))
            if len(names) + len(self.files) > self.limits.max_files:
                raise SubmissionError(f"{shown} holds {len(names)} files; the limit is "
                                      f"{self.limits.max_files}")
            if self.total + declared > self.limits.max_total_bytes:
                raise SubmissionError(f"{shown} unpacks to {_human(declared)}; the limit is "
                                      f"{_human(self.limits.max_total_bytes)}")
            for info, rel in names:
                self.add(rel, self._unpack(zf, info, shown), f"{rel} (in {shown})")

    def _ratio(self, info: zipfile.ZipInfo, shown: str) -> None:
        packed = max(info.compress_size, 1)
        if info.file_size > RATIO_MIN_BYTES and info.file_size / packed > self.limits.max_zip_ratio:
            raise SubmissionError(
                f"{info.filename!r} in {shown} unpacks to {info.file_size / packed:.0f} times its "
                f"packed size (limit {self.limits.max_zip_ratio:g}): refused as a zip bomb")

    def _unpack(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> bytes:
        """A member's bytes, counted as they come: headers can lie about sizes."""
        limit = min(self.limits.max_file_bytes, self.limits.max_total_bytes - self.total)
        chunks: list[bytes] = []
        got = 0
        try:
            with zf.open(info) as src:
                while chunk := src.read(CHUNK):
                    got += len(chunk)
                    if got > limit:
                        self._budget(got, f"{info.filename} (in {shown})")
                        raise SubmissionError(f"{info.filename} (in {shown}) unpacks to more "
                                              "than its limit")
                    if got > RATIO_MIN_BYTES and \
                            got / max(info.compress_size, 1) > self.limits.max_zip_ratio:
                        raise SubmissionError(f"{info.filename!r} in {shown} unpacks to more "
                                              f"than {self.limits.max_zip_ratio:g} times its "
                                              "packed size: refused as a zip bomb")
                    chunks.append(chunk)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as e:
            raise SubmissionError(f"{info.filename!r} in {shown} cannot be unpacked ({e})") from e
        return b"".join(chunks)


def _rel(path: Path, folder: Path, prefix: str) -> str:
    rel = path.relative_to(folder).as_posix()
    return f"{prefix}/{rel}" if prefix else rel


def _is_zip(up: Upload) -> bool:
    return up.name.lower().endswith(".zip")


@contextmanager
def open_submission(uploads: Sequence[Upload | Path], limits: ReviewLimits) -> Iterator[Submission]:
    """Read the uploads (files, folders, .zip archives) into a private temporary folder and
    yield the submission; the folder and everything in it is removed afterwards, whatever
    happens. A folder's files keep their paths relative to it; a lone file keeps its name."""
    items = [u if isinstance(u, Upload) else Upload(Path(u), Path(u).name) for u in uploads]
    if not items:
        raise SubmissionError("nothing to review: give the submission's files, folder or .zip")
    tmp = Path(tempfile.mkdtemp(prefix="interviewer-review-"))  # 0700, only ours
    try:
        root = tmp / "files"
        root.mkdir(mode=0o700)
        intake = _Intake(root, limits)
        for up in items:
            path = up.path
            if path.is_symlink():
                raise SubmissionError(f"{up.name} is a symbolic link; give the file or folder "
                                      "itself")
            if path.is_dir():
                intake.read_folder(path, "" if len(items) == 1 else _folder_prefix(up))
            elif not path.exists():
                raise SubmissionError(f"{up.name}: no such file or folder")
            elif _is_zip(up):
                intake.read_zip(path, up.name)
            else:
                intake.read_file(path, PurePosixPath(up.name.replace("\\", "/")).name)
        if not intake.files:
            what = " (only caches and VCS folders)" if intake.skipped else ""
            raise SubmissionError(f"the submission is empty{what}: upload the project's code, "
                                  "notebooks and README")
        if not any(f.text.strip() for f in intake.files.values()):
            raise SubmissionError("every file in the submission is empty")
        files = sorted(intake.files.values(), key=lambda f: f.path)
        yield Submission(files=files, root=root, skipped=intake.skipped)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _folder_prefix(up: Upload) -> str:
    return PurePosixPath(up.name.replace("\\", "/").rstrip("/")).name or "project"
