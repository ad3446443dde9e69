"""`interviewer data owners|show|delete|check`: what is stored about whom, and deleting it.

    interviewer data owners                         # who has stored sessions
    interviewer data show --owner user:alice        # the files that hold their data
    interviewer data delete --owner user:alice --yes
    interviewer data check                          # transcripts/exports readable by others?

Owners are `user:<login>` (password login) or `browser:<id>` (the page's browser cookie).
"""

from __future__ import annotations

import argparse
import json
import sys

from interviewer.core.errors import InputError
from interviewer.core.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="list, show and delete a user's stored data")
    dsub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ow = dsub.add_parser("owners", help="owners with stored sessions")
    ow.add_argument("--json", action="store_true")
    ow.set_defaults(func=run_owners)
    show = dsub.add_parser("show", help="the files holding one owner's data")
    show.add_argument("--owner", required=True, help="e.g. user:alice or browser:<id>")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=run_show)
    rm = dsub.add_parser("delete", help="delete one owner's transcripts, exports and progress "
                         "cache")
    rm.add_argument("--owner", required=True, help="e.g. user:alice or browser:<id>")
    rm.add_argument("--yes", action="store_true", help="do it (without: ask, or refuse when "
                    "input is not a terminal)")
    rm.add_argument("--dry-run", action="store_true", help="list what would be deleted")
    rm.set_defaults(func=run_delete)
    ck = dsub.add_parser("check", help="transcript and export files readable by others")
    ck.set_defaults(func=run_check)


def run_owners(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.app.privacy import owners

    found = owners(settings)
    if args.json:
        print(json.dumps([o.model_dump() for o in found], indent=2))
    elif not found:
        print("no stored sessions")
    for o in [] if args.json else found:
        print(f"{o.owner or '(no owner)'}  {o.sessions} session(s)")
    return 0


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.app.privacy import find_user_data

    data = find_user_data(settings, args.owner)
    if args.json:
        print(data.model_dump_json(indent=2))
        return 0
    print(f"{args.owner}: {len(data.sessions)} session(s), {len(data.files)} file(s)")
    for path in data.files:
        print(f"  {path}")
    return 0


def run_delete(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.app.privacy import delete_user_data, find_user_data

    data = find_user_data(settings, args.owner)
    if not data.files and not data.sessions:
        print(f"nothing stored for {args.owner}")
        return 0
    if not args.yes and not args.dry_run:
        if not sys.stdin.isatty():
            raise InputError(f"{len(data.sessions)} session(s) of {args.owner} would be deleted; "
                             "add --yes to confirm (or --dry-run to list them)")
        reply = input(f"Delete {len(data.sessions)} session(s), {len(data.files)} file(s) of "
                      f"{args.owner}? [y/N] ")
        if reply.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    report = delete_user_data(settings, args.owner, dry_run=args.dry_run)
    verb = "would delete" if report.dry_run else "deleted"
    for path in report.deleted:
        print(f"{verb} {path}")
    if settings.database_url is not None:
        for sid in report.sessions:
            print(f"{verb} session {sid} from the database")
    print(f"{verb} {len(report.deleted)} file(s) of {len(report.sessions)} session(s) of "
          f"{args.owner}")
    return 0


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.app.privacy import check_private

    loose = check_private(settings)
    for item in loose:
        print(f"readable by others: {item.path} ({item.mode})")
    if not loose:
        print("transcripts, exports and progress caches are private to their owner")
    return 1 if loose else 0
