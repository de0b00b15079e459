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
    return parser


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
    except InputError as exc:
        print(f"ioc-alerts: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
