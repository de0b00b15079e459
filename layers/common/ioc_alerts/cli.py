"""The `ioc-alerts` command: dry run (`preview`), and the local tools built on the core."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ioc_alerts.config import load_rules
from ioc_alerts.problems import InputError
from ioc_alerts.render import Renderer

SAMPLES = Path(__file__).parent / "samples"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ioc-alerts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    preview = commands.add_parser(
        "preview", help="print every notification that would go out on a day (no AWS)"
    )
    preview.add_argument("--date", type=_date, required=True, help="Vietnam date, YYYY-MM-DD")
    preview.add_argument("--portals", type=Path, required=True, help="portals page (JSON)")
    preview.add_argument("--dossiers", type=Path, required=True, help="dossiers page (JSON)")
    preview.add_argument(
        "--directory", type=Path, required=True, help="units and contacts (JSON, CSV or XLSX)"
    )
    preview.add_argument("--rules", type=Path, help="rules file (default: the bundled one)")
    preview.add_argument("--json", action="store_true", help="one JSON object per line")

    directory = commands.add_parser("directory", help="the directory table in DynamoDB")
    directory_commands = directory.add_subparsers(dest="action", required=True)
    load = directory_commands.add_parser(
        "load", help="write units and contacts from a file (JSON, CSV or XLSX) to the table"
    )
    load.add_argument("file", type=Path)
    load.add_argument("--table", required=True, help="table name (stack output DirectoryTableName)")
    load.add_argument("--region", default=None, help="AWS region (default: from the environment)")
    load.add_argument(
        "--prune", action="store_true", help="delete units that are in the table but not the file"
    )
    load.add_argument("--dry-run", action="store_true", help="report changes, write nothing")
    return parser


def directory_load(args: argparse.Namespace) -> int:
    from ioc_alerts.directory_files import load_directory
    from ioc_alerts.directory_sync import sync_directory

    directory, problems = load_directory(args.file)
    for problem in problems:
        print(f"rejected: {problem}", file=sys.stderr)
    changes = sync_directory(
        directory, args.table, region=args.region, prune=args.prune, dry_run=args.dry_run
    )
    print(
        f"{args.file}: {len(directory)} units read, {len(problems)} rows rejected; table "
        f"{args.table}: {len(changes.added)} added, {len(changes.changed)} changed, "
        f"{len(changes.unchanged)} unchanged, {len(changes.absent)} not in the file"
        + (f" ({len(changes.removed)} deleted)" if args.prune else " (kept; --prune deletes)")
        + (" [dry run: nothing written]" if args.dry_run else "")
    )
    for label, codes in (
        ("added", changes.added),
        ("changed", changes.changed),
        ("not in file", changes.absent),
    ):
        if codes:
            print(f"  {label}: {', '.join(codes[:30])}{' ...' if len(codes) > 30 else ''}")
    return 1 if problems else 0


def preview(args: argparse.Namespace) -> int:
    from ioc_alerts.directory_files import load_directory
    from ioc_alerts.preview import plan_day, print_json, print_text

    config = load_rules(args.rules)
    directory, problems = load_directory(args.directory)
    plan = plan_day(args.date, directory, config, args.portals, args.dossiers)
    plan.problems[:0] = problems
    renderer = Renderer(config)
    if args.json:
        print_json(plan, renderer, sys.stdout)
        for problem in plan.problems:
            print(problem, file=sys.stderr)
    else:
        print_text(plan, renderer, sys.stdout)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "preview":
            return preview(args)
        if args.command == "directory":
            return directory_load(args)
    except InputError as exc:
        print(f"ioc-alerts: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
