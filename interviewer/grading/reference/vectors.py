"""A question's fixed texts' vectors kept on disk: embedding a question's reference texts and
its graded exemplars sentence by sentence (the grading encoder runs one text at a time) costs
most of preparing it (about 0.5-0.8 s), and the vectors depend only on the encoder and the texts.

One `.npy` file per list of texts, named by a hash of the encoder's fingerprint and the texts, so
an edited exemplar or key point, a changed sentence split or another encoder misses and is
computed again. A file that cannot be read or written costs only speed (logged).

Files nobody asks for pile up as exemplars are edited: `prune` (run by `interviewer index`) removes
those no installed question is keyed to and nobody has read for `STALE_DAYS` (the evals' and tests'
own packs share the store and must not lose theirs to an index run)."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from pydantic import BaseModel

log = logging.getLogger(__name__)

# bump when what a stored row means changes
CACHE_VERSION = "1"
VECTORS_DIR = "question-vectors"
# a file no installed question is keyed to survives `prune` while it was read this recently
STALE_DAYS = 7.0
# a read marks a file as used at most this often (one metadata write, not one per read)
TOUCH_EVERY_S = 3600.0


class PruneReport(BaseModel):
    """What `prune` did, for `interviewer index` to say."""

    kept: int = 0
    removed: int = 0
    freed_bytes: int = 0


class StoredVectors:
    """Vectors of whole text lists by content key, in `directory` (created on first write)."""

    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self.fingerprint = fingerprint

    @classmethod
    def beside_models(cls, fingerprint: str) -> StoredVectors:
        """Under the derived models' directory: the vectors depend on the encoder only, so the
        app, the tests and the evals share them whatever their data dir."""
        from interviewer.packs.embeddings import default_model_cache

        return cls(default_model_cache() / VECTORS_DIR, fingerprint)

    def key(self, texts: list[str]) -> str:
        h = hashlib.sha256(f"{CACHE_VERSION}\0{self.fingerprint}".encode())
        for text in texts:
            h.update(b"\1" + text.encode("utf-8"))
        return h.hexdigest()[:32]

    def encode(self, texts: list[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """The texts' rows from disk, or from `encode` (then kept)."""
        path = self.directory / f"{self.key(texts)}.npy"
        rows = self._read(path, len(texts))
        if rows is None:
            rows = np.asarray(encode(texts), dtype=np.float32)
            self._write(path, rows)
        return rows

    def _read(self, path: Path, n: int) -> np.ndarray | None:
        try:
            rows = np.load(path, allow_pickle=False)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as e:
            log.warning("stored vectors %s unreadable (%s); computing them again", path, e)
            return None
        if rows.ndim != 2 or rows.shape[0] != n or rows.dtype != np.float32:
            log.warning("stored vectors %s have shape %s; computing them again", path, rows.shape)
            return None
        self._touch(path)
        return rows

    def _touch(self, path: Path) -> None:
        """Mark the file as used (its mtime), so `prune` keeps what some process still reads."""
        try:
            if time.time() - path.stat().st_mtime > TOUCH_EVERY_S:
                os.utime(path)
        except OSError:  # a read-only store is still a store
            pass

    def prune(self, keep: set[str], stale_days: float = STALE_DAYS) -> PruneReport:
        """Remove the files whose key is not in `keep` and that were not used for `stale_days`."""
        report = PruneReport()
        cutoff = time.time() - stale_days * 86400.0
        try:
            paths = sorted(self.directory.glob("*.npy"))
        except OSError as e:
            log.warning("could not list %s (%s)", self.directory, e)
            return report
        for path in paths:
            try:
                st = path.stat()
                if path.stem in keep or st.st_mtime >= cutoff:
                    report.kept += 1
                    continue
                path.unlink()
            except FileNotFoundError:  # another process pruned it first
                continue
            except OSError as e:
                log.warning("could not remove %s (%s)", path, e)
                report.kept += 1
                continue
            report.removed += 1
            report.freed_bytes += st.st_size
        return report

    def _write(self, path: Path, rows: np.ndarray) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # atomic: a concurrent reader finds a whole file or none
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    np.save(f, rows, allow_pickle=False)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as e:
            log.warning("could not keep vectors in %s (%s)", self.directory, e)
