"""Add, show and remove packs made from a guide. The CLI (`interviewer pack add/show/remove`) and
the page (uploading a guide) both go through here, so both apply the same checks.

A pack added from a guide is a folder `<knowledge dir>/<name>/` holding `pack.yaml` and the guide
as `guide.txt` (with `--enrich`, also the model's graded exemplars as `exemplars.jsonl`). The
knowledge dir is shared: a pack one user adds is there for every user. It is written to a
temporary folder and renamed into place, so a reader never sees half a pack, and one bad pack
never stops the others from loading (`load_all` skips it and says why).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from interviewer.core.errors import InputError, NotFoundError, PackError
from interviewer.core.pack import (
    EXEMPLARS_FILE,
    PACK_FILE,
    Exemplar,
    Pack,
    dump_yaml,
    list_packs,
    load_exemplars,
    load_pack,
    pack_path,
    with_exemplars,
)
from interviewer.core.settings import Settings
from interviewer.packs.derive import Embed, derive_pack
from interviewer.packs.guide_parser import ParsedGuide, parse_guide, slugify

GUIDE_FILE = "guide.txt"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
MAX_GUIDE_BYTES = 1_000_000  # a real guide is 10-40 KB
HEADER = (
    "# Added by `interviewer pack add` from guide.txt: the guide's words are verbatim; topic,\n"
    "# stages, key points, hints, follow-ups and the stages' personas were derived from it\n"
    "# (provenance: derived). Items under `generated` were written by a model: review them.\n"
)
# one more header line when a model enriched the pack: which model, with which prompt versions
ENRICHED = "# Enriched by {model} with prompts {prompts}{exemplars}.\n"
ENRICHED_EXEMPLARS = f"; its graded exemplars are in {EXEMPLARS_FILE}"
Progress = Callable[[int, int], None]
_write_lock = threading.Lock()


class AddResult(BaseModel):
    """What `add_guide` did."""

    name: str
    path: str
    status: Literal["added", "replaced", "unchanged"]
    company: str
    role: str
    stages: list[str]
    questions: int
    indexed: int | None = None  # documents in the pack's index
    generated: int = 0  # items a model added (--enrich)
    enrich_failed: dict[str, str] = {}
    exemplars: int = 0  # graded exemplars in the pack's exemplars.jsonl
    exemplars_failed: dict[str, str] = {}  # question id -> why it got none (--enrich)
    exemplars_dropped: dict[str, list[str]] = {}  # question id -> rows of the reply dropped
    prompts: list[str] = []  # name@version of each prompt the model was asked with (--enrich)

    def practice_hint(self) -> str:
        return (f"Practise it: interviewer practice --pack {self.name}  (or pick "
                f"\"{self.company} {self.role}\" in the page's pack chooser)")


def guide_text(data: bytes, label: str, max_bytes: int = MAX_GUIDE_BYTES) -> str:
    """An uploaded or read guide as text, or InputError saying what is wrong with the file."""
    if len(data) > max_bytes:
        raise InputError(f"{label} is {len(data) // 1024} KB; a guide is at most "
                         f"{max_bytes // 1024} KB")
    if b"\x00" in data:
        raise InputError(f"{label} is not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise InputError(f"{label} is not UTF-8 text ({e.reason})") from e
    if not text.strip():
        raise InputError(f"{label} is empty")
    return text


def default_name(parsed: ParsedGuide) -> str:
    return slugify(f"{parsed.company} {parsed.role}")[:63].strip("-") or "guide"


def check_name(name: str) -> str:
    if not NAME_RE.match(name):
        raise InputError(f"pack name {name!r} must be lower-case letters, digits and '-' "
                         "(e.g. acme-data-analyst)")
    return name


def is_from_guide(pack: Pack) -> bool:
    """Added by `pack add` (every question derived from its guide), not written by hand."""
    return all(q.provenance == "derived" for q in pack.questions)


def _encoder() -> Embed:
    from interviewer.packs.embeddings import MiniLM

    return MiniLM.shared().encode


def add_guide(settings: Settings, text: str, *, name: str | None = None, force: bool = False,
              model: Any | None = None, index: Any | None = None,
              embed: Embed | None | Literal["default"] = "default",
              progress: Progress | None = None, enrich_progress: Progress | None = None,
              exemplar_progress: Progress | None = None) -> AddResult:
    """Parse, derive (and with `model`, enrich), validate, write and index one guide.

    Idempotent: the same guide under the same name changes nothing (the index is still brought
    up to date). A different guide under an existing name needs `force`; a pack written by hand
    (the built-in ones) is never replaced.
    """
    parsed = parse_guide(text, GUIDE_FILE)
    name = check_name(name or default_name(parsed))
    kdir = settings.knowledge_dir
    target = kdir / name
    existing = _existing(kdir, name)
    enrich_failed: dict[str, str] = {}
    exemplars: list[Exemplar] = []
    exemplars_failed: dict[str, str] = {}
    exemplars_dropped: dict[str, list[str]] = {}
    prompts: list[str] = []
    note = ""
    if existing is not None and not is_from_guide(existing):
        raise InputError(f"pack {name!r} was written by hand and is not replaced; add the guide "
                         "under another name with --name")
    if existing is not None and existing.source.sha256 == parsed.source.sha256 and not force:
        status: Literal["added", "replaced", "unchanged"] = "unchanged"
        pack = existing
    else:
        if existing is not None and not force:
            raise InputError(f"pack {name!r} already exists from another guide; --force replaces "
                             "it, --name adds this one beside it")
        if target.exists() and existing is None and any(target.iterdir()) and not force:
            raise InputError(f"{target} exists and is not a pack; --force replaces it")
        pack = derive_pack(parsed, name, embed=_encoder() if embed == "default" else embed)
        if model is not None:
            from interviewer.packs.enrich import enrich_pack
            from interviewer.packs.enrich_exemplars import generate_exemplars

            pack, report = enrich_pack(pack, model, settings.prompts_dir, enrich_progress)
            enrich_failed = report.failed
            exemplars, ex_report = generate_exemplars(pack, model, settings.prompts_dir,
                                                      exemplar_progress)
            exemplars_failed, exemplars_dropped = ex_report.failed, ex_report.dropped
            prompts = [report.prompt, ex_report.prompt]
            note = ENRICHED.format(model=" ".join(report.model.split()),
                                   prompts=", ".join(prompts),
                                   exemplars=ENRICHED_EXEMPLARS if exemplars else "")
        status = "replaced" if target.exists() else "added"
        _write(kdir, name, pack, text, exemplars, note)
        pack = with_exemplars(pack, exemplars)
    result = AddResult(
        name=name, path=str(target / PACK_FILE), status=status, company=pack.company,
        role=pack.role, stages=[s.name for s in pack.stages_in_order()],
        questions=len(pack.questions), generated=sum(len(q.generated) for q in pack.questions),
        enrich_failed=enrich_failed, exemplars=sum(len(q.exemplars) for q in pack.questions),
        exemplars_failed=exemplars_failed, exemplars_dropped=exemplars_dropped, prompts=prompts)
    if index is None:
        from interviewer.packs.index import KnowledgeIndex

        index = KnowledgeIndex(settings)
    result.indexed = index.build(pack, progress=progress).total
    return result


def _existing(kdir: Path, name: str) -> Pack | None:
    if not pack_path(kdir, name).is_file():
        return None
    try:
        return load_pack(kdir, name)
    except PackError:
        return None  # a broken pack folder: replacing it needs --force like any other folder


def _write(kdir: Path, name: str, pack: Pack, text: str, exemplars: list[Exemplar],
           note: str = "") -> None:
    """Write into a temporary folder, then swap it in: readers see the old pack or the new
    (with its exemplars or without: a replaced pack never keeps the old one's)."""
    kdir.mkdir(parents=True, exist_ok=True)
    with _write_lock:
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=kdir))
        try:
            (tmp / GUIDE_FILE).write_text(text, encoding="utf-8", newline="")
            (tmp / PACK_FILE).write_text(
                HEADER + note + dump_yaml(pack.model_dump(mode="json", exclude_defaults=True)),
                encoding="utf-8")
            if exemplars:
                from interviewer.packs.enrich_exemplars import exemplars_jsonl

                (tmp / EXEMPLARS_FILE).write_text(exemplars_jsonl(exemplars), encoding="utf-8")
            load_pack_dir(tmp, name)  # what was written loads and validates
            target = kdir / name
            old = None
            if target.exists():
                old = kdir / f".{name}-old-{tmp.name[-8:]}"
                target.rename(old)
            tmp.rename(target)
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def load_pack_dir(folder: Path, name: str) -> Pack:
    """Load a pack and its exemplars from a folder whose name may differ from the pack's (a
    temporary one)."""
    import yaml

    data = yaml.safe_load((folder / PACK_FILE).read_text(encoding="utf-8"))
    pack = Pack.model_validate(data | {"name": name})
    return with_exemplars(pack, load_exemplars(folder / EXEMPLARS_FILE))


def remove_pack(settings: Settings, name: str, *, index: Any | None = None,
                force: bool = False) -> None:
    """Delete a pack's folder (its guide, pack.yaml and exemplars.jsonl) and its index. A pack
    written by hand needs `force`."""
    target = settings.knowledge_dir / name
    if not pack_path(settings.knowledge_dir, name).is_file():
        known = ", ".join(list_packs(settings.knowledge_dir)) or "none"
        raise NotFoundError(f"unknown pack {name!r} (known: {known})")
    existing = _existing(settings.knowledge_dir, name)
    if existing is not None and not is_from_guide(existing) and not force:
        raise InputError(f"pack {name!r} was written by hand; --force removes it anyway")
    if index is None:
        from interviewer.packs.index import KnowledgeIndex

        index = KnowledgeIndex(settings)
    index.drop(name)
    with _write_lock:
        shutil.rmtree(target)


def load_all(knowledge_dir: Path) -> tuple[list[Pack], dict[str, str]]:
    """Every pack that loads, and for each one that does not, why (one line)."""
    packs: list[Pack] = []
    problems: dict[str, str] = {}
    for name in list_packs(knowledge_dir):
        try:
            packs.append(load_pack(knowledge_dir, name))
        except PackError as e:
            problems[name] = str(e).splitlines()[0]
    return packs, problems


def pack_json(pack: Pack) -> dict[str, Any]:
    """What `pack show --json` prints."""
    return {
        "name": pack.name, "company": pack.company, "role": pack.role,
        "source": pack.source.model_dump(exclude_none=True),
        "stages": [{"id": s.id, "name": s.name, "order": s.order, "persona": s.persona,
                    "focus": s.focus, "aliases": s.aliases,
                    "questions": len(pack.questions_for(s.id))}
                   for s in pack.stages_in_order()],
        "topics": [{"name": t.name, "difficulty": t.difficulty, "ask_chance": t.ask_chance}
                   for t in pack.topics],
        "tips": [t.title for t in pack.tips],
        "exemplars": _exemplar_writers(pack),
        "questions": [{"id": q.id, "section": q.section, "topic": q.topic, "kind": q.kind,
                       "difficulty": q.difficulty, "question": q.question,
                       "key_points": q.key_points, "stages": q.stages,
                       "follow_ups": q.follow_ups, "hints": q.hints,
                       "provenance": q.provenance, "exemplars": len(q.exemplars),
                       "generated": [g.model_dump(exclude_defaults=True) | {
                           "provenance": g.provenance} for g in q.generated]}
                      for q in pack.questions],
    }


def _exemplar_writers(pack: Pack) -> dict[str, int]:
    """How many graded exemplars each writer wrote ("generated:<model>" for a model's)."""
    return dict(Counter(e.writer or "unknown" for q in pack.questions for e in q.exemplars))


def pack_text(pack: Pack) -> str:
    """What `pack show` prints: the pack at a glance, the generated items to review last."""
    lines = [f"{pack.name}: {pack.company} / {pack.role}",
             f"source: {pack.source.file} ({pack.source.title or 'no title'})", "stages:"]
    for s in pack.stages_in_order():
        extra = f" · {s.persona}" if s.persona else ""
        lines.append(f"  {s.order}. {s.name} [{s.id}]{extra} · "
                     f"{len(pack.questions_for(s.id))} questions")
    if pack.topics:
        lines.append("topics: " + "; ".join(f"{t.name} ({t.difficulty}, {t.ask_chance})"
                                             for t in pack.topics))
    lines.append(f"questions ({len(pack.questions)}):")
    review = []
    for q in pack.questions:
        lines.append(f"  [{q.id}] {q.question}")
        graded = f" · {len(q.exemplars)} exemplars" if q.exemplars else ""
        lines.append(f"      {q.kind} · topic {q.topic} · stages {', '.join(q.stages)} · "
                     f"{q.provenance} · {len(q.key_points)} key points{graded}")
        review += [(q.id, g) for g in q.generated]
    writers = _exemplar_writers(pack)
    if writers:
        lines.append(f"graded exemplars ({EXEMPLARS_FILE}): {sum(writers.values())} on "
                     f"{sum(1 for q in pack.questions if q.exemplars)} questions · "
                     + ", ".join(f"{w} {n}" for w, n in sorted(writers.items())))
    if review:
        lines.append(f"generated by a model, to review ({len(review)}):")
        for qid, g in review:
            fix = f" -> {g.correction}" if g.correction else ""
            lines.append(f"  [{qid}] {g.field}: {g.text}{fix}")
    return "\n".join(lines)
