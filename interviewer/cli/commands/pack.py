"""`interviewer pack`: guide -> pack YAML, list packs, validate a pack against its guide."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from interviewer.core.errors import GuideParseError, InputError, NotFoundError, PackError
from interviewer.core.pack import Pack, dump_yaml, list_packs, load_pack
from interviewer.core.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("pack", help="build, list and validate knowledge packs")
    pack_sub = p.add_subparsers(dest="pack_command", metavar="ACTION", required=True)

    build = pack_sub.add_parser(
        "build", help="parse a guide text into the guide-derived pack YAML (review, then author)"
    )
    build.add_argument("guide", type=Path, help="the guide's text file")
    build.add_argument("-o", "--output", type=Path, help="YAML file to write (default: stdout)")
    build.add_argument(
        "--scaffold",
        action="store_true",
        help="write a loadable pack (defaults for topic, stages, key points; review them) and "
        "copy the guide next to it; the pack's name is the output's folder name",
    )
    build.set_defaults(func=run_build)

    ls = pack_sub.add_parser("list", help="list the packs in the knowledge dir")
    ls.set_defaults(func=run_list)

    validate = pack_sub.add_parser(
        "validate", help="load a pack (default: every pack), check it against its guide, count"
    )
    validate.add_argument("name", nargs="?", help="pack name (default: every pack)")
    validate.add_argument("--json", action="store_true", help="print the reports as JSON")
    validate.set_defaults(func=run_validate)

    from interviewer.cli.commands.pack_manage import register_actions

    register_actions(pack_sub)


def run_build(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.packs.guide_parser import parse_guide, scaffold_pack

    guide_path: Path = args.guide
    if not guide_path.is_file():
        raise NotFoundError(f"no guide file at {guide_path}")
    try:
        text = guide_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{guide_path}: not UTF-8 text ({e.reason})") from e
    try:
        parsed = parse_guide(text, guide_path.name)
    except GuideParseError as e:
        raise InputError(f"{guide_path}: {e}") from e
    if args.scaffold:
        if args.output is None:
            raise InputError("--scaffold needs -o knowledge/<pack-name>/pack.yaml")
        pack = scaffold_pack(parsed, args.output.resolve().parent.name)
        out = SCAFFOLD_HEADER + dump_yaml(pack.model_dump(mode="json", exclude_defaults=True))
    else:
        out = dump_yaml(parsed.model_dump(mode="json"))
    if args.output is None:
        sys.stdout.write(out)
        return 0
    try:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        if args.scaffold:
            _place_guide(guide_path, args.output.parent / guide_path.name)
        args.output.write_text(out, encoding="utf-8")
    except OSError as e:
        raise InputError(f"cannot write {args.output}: {e.strerror}") from e
    print(
        f"wrote {args.output}: {parsed.company} / {parsed.role}, {len(parsed.stages)} stages, "
        f"{len(parsed.topics)} topics, {len(parsed.tips)} tips, "
        f"{len(parsed.questions)} questions",
        file=sys.stderr,
    )
    return 0


GUIDE_WORDS = ("guide", "derived")  # questions whose text is the guide's, word for word

SCAFFOLD_HEADER = (
    "# Scaffolded by `interviewer pack build --scaffold`: every question's topic, stages and\n"
    "# key points are defaults. Review them, then run `interviewer pack validate`.\n"
)


def _place_guide(guide: Path, target: Path) -> None:
    """The pack folder must hold its guide for `pack validate`; never overwrite a different one."""
    if target.resolve() == guide.resolve():
        return
    if target.exists() and target.read_bytes() != guide.read_bytes():
        raise InputError(f"{target} exists and differs from {guide}; move it away first")
    shutil.copyfile(guide, target)


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    names = list_packs(settings.knowledge_dir)
    if not names:
        print(f"no packs in {settings.knowledge_dir}")
        return 0
    for name in names:
        try:
            pack = load_pack(settings.knowledge_dir, name)
        except PackError as e:
            print(f"{name}  INVALID: {str(e).splitlines()[0]}")
            continue
        default = "  (default)" if name == settings.default_pack else ""
        print(
            f"{name}  {pack.company} / {pack.role}: {len(pack.stages)} stages, "
            f"{len(pack.questions)} questions{default}"
        )
    return 0


class PackReport(BaseModel):
    """What `pack validate` found, per pack."""

    pack: str
    company: str
    role: str
    questions: int
    tips: int
    topics: int
    guide_check: str
    per_stage: dict[str, int]
    per_kind: dict[str, int]
    per_provenance: dict[str, int]
    per_topic: dict[str, int]


def run_validate(args: argparse.Namespace, settings: Settings) -> int:
    names = [args.name] if args.name else list_packs(settings.knowledge_dir)
    if not names:
        raise NotFoundError(f"no packs in {settings.knowledge_dir}")
    reports = [validate_pack(load_pack(settings.knowledge_dir, n), settings) for n in names]
    if args.json:
        print(json.dumps([r.model_dump() for r in reports], indent=2))
        return 0
    for r in reports:
        print(f"{r.pack}: valid ({r.company} / {r.role})")
        print(f"  questions {r.questions}, topics {r.topics}, tips {r.tips}")
        print(f"  guide: {r.guide_check}")
        for label, counts in (
            ("per stage", r.per_stage),
            ("per kind", r.per_kind),
            ("per provenance", r.per_provenance),
            ("per topic", r.per_topic),
        ):
            print(f"  {label}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


def validate_pack(pack: Pack, settings: Settings) -> PackReport:
    """Counts, plus: a pack with guide questions must still match its guide, word for word."""
    return PackReport(
        pack=pack.name,
        company=pack.company,
        role=pack.role,
        questions=len(pack.questions),
        tips=len(pack.tips),
        topics=len(pack.topics),
        guide_check=_check_guide(pack, settings.knowledge_dir / pack.name),
        per_stage={s.id: len(pack.questions_for(s.id)) for s in pack.stages_in_order()},
        per_kind=dict(Counter(q.kind for q in pack.questions).most_common()),
        per_provenance=dict(Counter(q.provenance for q in pack.questions).most_common()),
        per_topic=dict(Counter(q.topic for q in pack.questions).most_common()),
    )


def _check_guide(pack: Pack, pack_dir: Path) -> str:
    from interviewer.packs.guide_parser import guide_fields, parse_guide

    path = pack_dir / pack.source.file
    if not path.is_file():
        raise PackError(f"pack {pack.name!r}: source file {path} is missing")
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != pack.source.sha256:
        raise PackError(
            f"pack {pack.name!r}: {pack.source.file} has sha256 {digest[:12]}..., "
            f"the pack records {pack.source.sha256[:12]}...; rebuild the guide-derived fields"
        )
    if not any(q.provenance in GUIDE_WORDS for q in pack.questions):
        return f"{pack.source.file} sha256 matches (not a parsed guide)"
    try:
        parsed = parse_guide(raw.decode("utf-8"), pack.source.file)
    except (GuideParseError, UnicodeDecodeError) as e:
        raise PackError(f"pack {pack.name!r}: its guide does not parse: {e}") from e
    where = first_difference(parsed.model_dump(), guide_fields(pack).model_dump())
    if where is not None:
        raise PackError(
            f"pack {pack.name!r}: guide-derived field {where} differs from {pack.source.file}"
        )
    n = sum(q.provenance in GUIDE_WORDS for q in pack.questions)
    return f"{pack.source.file} sha256 matches; {n} guide questions match the parse word for word"


def first_difference(a: object, b: object, path: str = "") -> str | None:
    """The path of the first place two dumped models differ, for an actionable message."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            if key not in a or key not in b:
                return f"{path}.{key}".lstrip(".")
            found = first_difference(a[key], b[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{path}[{i}]")
            if found:
                return found
        return None if len(a) == len(b) else f"{path} (length {len(a)} vs {len(b)})"
    return None if a == b else (path.lstrip(".") or "<root>")
