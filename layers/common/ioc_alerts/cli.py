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

    demo = commands.add_parser(
        "demo",
        help="run the whole service locally (moto server, local metrics API) on a scenario",
        description="Run the check and send functions' real handlers day by day against a "
        "local AWS emulator and metrics API, and print every SMS and e-mail sent.",
    )
    demo.add_argument(
        "--date",
        type=_date,
        action="append",
        default=[],
        help="a day to run (repeatable; a day given twice sends nothing new)",
    )
    demo.add_argument("--from", dest="start", type=_date, help="first day of a range")
    demo.add_argument("--to", dest="end", type=_date, help="last day of a range")
    demo.add_argument("--scenario", type=Path, help="scenario file (default: Sóc Trăng 2023)")
    demo.add_argument(
        "--json",
        action="store_true",
        help="one JSON line per delivered SMS or e-mail (the log goes to stderr)",
    )
    demo.add_argument("--aws-endpoint-url", help="use this AWS endpoint instead of a moto server")
    demo.add_argument(
        "--metrics-url",
        help="use this metrics API (token in IOC_METRICS_API_TOKEN) instead of the local one",
    )
    demo.add_argument(
        "--out",
        type=Path,
        default=Path("demo-out"),
        help="folder for the page of rendered e-mails (default: demo-out)",
    )
    demo.add_argument(
        "--inject-throttling",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="answer this share (0-1) of SNS/SES calls with throttling errors",
    )
    return parser


def run_demo_command(args: argparse.Namespace) -> int:
    from ioc_alerts.local.demo import DemoOptions, run_demo

    if args.date and (args.start or args.end):
        raise InputError("give either --date (one or more) or --from/--to, not both")
    if not 0.0 <= args.inject_throttling < 1.0:
        raise InputError("--inject-throttling takes a share from 0 up to (not including) 1")
    options = DemoOptions(
        dates=args.date,
        start=args.start,
        end=args.end,
        scenario=args.scenario,
        json=args.json,
        aws_endpoint_url=args.aws_endpoint_url,
        metrics_url=args.metrics_url,
        out_dir=args.out,
        throttle=args.inject_throttling,
    )
    try:
        totals = run_demo(options, sys.stdout, sys.stderr)
    except KeyboardInterrupt:
        print("ioc-alerts demo: interrupted; everything started was stopped", file=sys.stderr)
        return 130
    except ValueError as exc:
        raise InputError(str(exc)) from exc
    return 1 if totals.check_errors or totals.dead_lettered else 0


def directory_load(args: argparse.Namespace) -> int:
    from ioc_alerts.directory_files import load_directory
    from ioc_alerts.directory_sync import sync_directory

    directory, problems = load_directory(args.file)
    errors = [p for p in problems if p.severity == "error"]
    for problem in problems:
        print(
            f"{'rejected' if problem.severity == 'error' else 'note'}: {problem}", file=sys.stderr
        )
    changes = sync_directory(
        directory, args.table, region=args.region, prune=args.prune, dry_run=args.dry_run
    )
    print(
        f"{args.file}: {len(directory)} units read, {len(errors)} rows rejected, "
        f"{len(problems) - len(errors)} warnings; table "
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
    return 1 if errors else 0


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
        if args.command == "demo":
            return run_demo_command(args)
    except InputError as exc:
        print(f"ioc-alerts: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
