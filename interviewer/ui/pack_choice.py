"""Which pack a page practises, and the packs there are to choose from. Kept free of Chainlit so
the rules are tested on their own.

The knowledge dir is shared: a pack any user adds (by uploading a guide) is listed for every user.
Each owner's choice is remembered on the server (the page's chat profiles are the chosen pack's
stages, and the page asks for them before a chat exists). A pack that does not load is left out
of the list and reported; it never hides the others.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from pydantic import BaseModel

from interviewer.core.errors import NotFoundError, PackError
from interviewer.core.pack import Pack, list_packs, load_pack, pack_path
from interviewer.core.settings import Settings

CHOICES_FILE = "pack_choices.json"
GUIDE_HELP = ("A guide of this kind is a .txt file whose first line reads '<Company> <Role> "
              "Interview Questions + Guide in <year>', with an interview process of numbered "
              "stages and questions that each have 'How to Answer' and 'Example'.")

_lock = threading.Lock()
_cache: dict[Path, tuple[int, Pack]] = {}  # pack.yaml -> (mtime_ns, pack)


class PackEntry(BaseModel):
    name: str
    label: str  # what the chooser shows


def load_cached(kdir: Path, name: str) -> Pack:
    path = pack_path(kdir, name)
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as e:
        raise NotFoundError(f"unknown pack {name!r}") from e
    with _lock:
        hit = _cache.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
    pack = load_pack(kdir, name)
    with _lock:
        _cache[path] = (mtime, pack)
    return pack


def available(settings: Settings) -> tuple[list[PackEntry], dict[str, str]]:
    """Every pack that loads (labelled "<Company> <Role>", the name added when two share it),
    and, for each one that does not, why."""
    packs: list[Pack] = []
    problems: dict[str, str] = {}
    for name in list_packs(settings.knowledge_dir):
        try:
            packs.append(load_cached(settings.knowledge_dir, name))
        except PackError as e:
            problems[name] = str(e).splitlines()[0]
    labels = [f"{p.company} {p.role}".strip() or p.name for p in packs]
    entries = [PackEntry(name=p.name, label=label if labels.count(label) == 1
                         else f"{label} ({p.name})") for p, label in zip(packs, labels,
                                                                        strict=True)]
    return entries, problems


def _choices_path(settings: Settings) -> Path:
    return settings.data_dir / "ui" / CHOICES_FILE


def _read_choices(settings: Settings) -> dict[str, str]:
    try:
        data = json.loads(_choices_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def chosen_name(settings: Settings, owner: str | None) -> str | None:
    return _read_choices(settings).get(owner) if owner else None


def choose(settings: Settings, owner: str | None, name: str) -> Pack:
    """Remember the owner's pack (it must load); returns it."""
    pack = load_cached(settings.knowledge_dir, name)
    if owner:
        path = _choices_path(settings)
        with _lock:
            choices = _read_choices(settings)
            choices[owner] = name
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(choices, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)
    return pack


def pack_for(settings: Settings, owner: str | None) -> Pack:
    """The owner's chosen pack; the default pack when none was chosen or it no longer loads."""
    name = chosen_name(settings, owner)
    if name:
        try:
            return load_cached(settings.knowledge_dir, name)
        except (PackError, NotFoundError):
            pass
    try:
        return load_cached(settings.knowledge_dir, settings.default_pack)
    except (PackError, NotFoundError):
        entries, _ = available(settings)
        if not entries:
            raise
        return load_cached(settings.knowledge_dir, entries[0].name)


def hidden_packs_text(problems: dict[str, str]) -> str:
    """One line per pack that does not load: it is left out, the others work."""
    lines = [f"{len(problems)} guide{'s' if len(problems) != 1 else ''} could not be loaded and "
             "{} hidden; every other guide works:".format("is" if len(problems) == 1 else "are")]
    lines += [f"- {name}: {why}" for name, why in sorted(problems.items())]
    return "\n".join(lines)
