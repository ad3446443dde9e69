"""An offline copy of Chainlit's frontend build.

Chainlit's page links Google Fonts and a KaTeX stylesheet from public CDNs, so a stock page
reaches the internet on every load. This copies the packaged build next to `.chainlit/config.toml`
(`custom_build` points at it) with every remote `<link>` removed. Chainlit rejects a symlinked
build (asset paths are resolved and must stay inside it), so files are hard-linked where the
filesystem allows and copied otherwise. Idempotent: a stamp records what the copy was made from.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import shutil
from pathlib import Path

from interviewer.core.errors import ConfigError
from interviewer.core.settings import PROJECT_ROOT

GENERATOR_VERSION = "1"
BUILD_DIR = PROJECT_ROOT / ".chainlit" / "frontend-build"
STAMP_NAME = ".offline-stamp"

# Any <link ...> whose href leaves the app (https://, http:// or protocol-relative //).
_REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref\s*=\s*[\"'](?:https?:)?//[^>]*>\s*", re.I | re.S)
_REMOTE_REF = re.compile(r"""(?:href|src)\s*=\s*["'](?:https?:)?//""", re.I)


def packaged_build() -> Path:
    """Chainlit's own frontend build, found without importing chainlit (it reads config)."""
    spec = importlib.util.find_spec("chainlit")
    if spec is None or spec.origin is None:
        raise ConfigError("chainlit is not installed; run `make install`")
    dist = Path(spec.origin).parent / "frontend" / "dist"
    if not (dist / "index.html").is_file():
        raise ConfigError(f"chainlit's frontend build is missing at {dist}")
    return dist


def offline_index(html: str) -> str:
    """The page without remote stylesheets, fonts and preconnects; refuses what it can't clean."""
    cleaned = _REMOTE_LINK.sub("", html)
    leftover = _REMOTE_REF.search(cleaned)
    if leftover:
        start = max(0, leftover.start() - 40)
        raise ConfigError(
            "chainlit's index.html still references a remote resource after cleaning: "
            f"{cleaned[start:leftover.end() + 60]!r}"
        )
    return cleaned


def _stamp_for(source: Path) -> str:
    digest = hashlib.sha256((source / "index.html").read_bytes()).hexdigest()
    return f"generator={GENERATOR_VERSION} source={source} index_sha256={digest}\n"


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def ensure_offline_build(target: Path = BUILD_DIR, source: Path | None = None) -> bool:
    """Make `target` an offline copy of the packaged build. Returns True when it (re)built."""
    source = source or packaged_build()
    stamp = _stamp_for(source)
    stamp_file = target / STAMP_NAME
    if stamp_file.is_file() and stamp_file.read_text(encoding="utf-8") == stamp:
        return False
    index = offline_index((source / "index.html").read_text(encoding="utf-8"))
    staging = target.with_name(target.name + f".tmp-{os.getpid()}")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(source, staging, copy_function=_link_or_copy)
    (staging / "index.html").unlink()  # never write through a hard link into the venv
    (staging / "index.html").write_text(index, encoding="utf-8")
    (staging / STAMP_NAME).write_text(stamp, encoding="utf-8")
    old = target.with_name(target.name + f".old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    staging.rename(target)
    if old.exists():
        shutil.rmtree(old)
    return True


def main(argv: list[str] | None = None) -> int:
    """`interviewer dev frontend`: build the offline page if it is missing or stale."""
    import argparse

    argparse.ArgumentParser(prog="interviewer dev frontend", description=__doc__).parse_args(argv)
    built = ensure_offline_build()
    where = BUILD_DIR.relative_to(PROJECT_ROOT)
    print(f"offline frontend {'built' if built else 'up to date'}: {where}")
    return 0


