"""The ``ductplanner`` command line: a thin layer over the public API.

Every subcommand returns a :class:`Result`: a JSON-able summary (printed with
``--json``; its keys are a public interface) and a short human text. Exit
status: 0 done, 1 failed on the user's input (a clear message, no traceback),
2 usage error.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .app.workflows.coordination import (
    CSV_DIALECTS,
    decide_command,
    record_command,
    requests_command,
)
from .app.workflows.coverage import coverage_command
from .app.workflows.layers import import_file, validate_path
from .app.workflows.ler import ler_command
from .app.workflows.maps import map_command
from .app.workflows.opportunities import opportunities_command
from .app.workflows.plan import plan_command
from .app.workflows.report import report_command
from .app.workflows.simulate import simulate_command
from .app.workflows.storage import copy_command
from .core._errors import DuctPlannerError
from .core.result import Result
from .io.ler import DEFAULT_LER_VERSION, LER_VERSIONS
from .model.timeline import RunDate, parse_day, run_date
from .pipeline import run_demo

__all__ = ["Result", "main"]


# --- subcommand handlers -------------------------------------------------------------


def _shows_progress(args: argparse.Namespace) -> bool:
    """Progress on standard error unless ``--quiet`` or ``--json`` (a script is reading)."""
    return not (args.quiet or args.json)


def _run_date(args: argparse.Namespace) -> RunDate:
    """Return the run's date from ``--as-of`` and ``--from``."""
    return run_date(args.as_of, args.first_year)


def _cmd_demo(args: argparse.Namespace) -> Result:
    return run_demo(Path(args.out), seed=args.seed, progress=_shows_progress(args), lang=args.lang)


def _cmd_import(args: argparse.Namespace) -> Result:
    return import_file(
        args.workspace,
        args.layer,
        Path(args.file),
        crs=args.crs,
        append=args.append,
        repair=args.repair,
        source_layer=args.source_layer,
        mapping=args.mapping,
        date_order=args.date_order,
        fields=dict(args.fields or ()),
        merge_twins=args.merge_twins,
        workspace_crs=args.workspace_crs,
    )


def _cmd_copy(args: argparse.Namespace) -> Result:
    return copy_command(args.source, args.target, replace=args.replace)


def _cmd_serve(args: argparse.Namespace) -> Result:
    from .app.portal.server import serve_command

    return serve_command(
        args.workspace,
        host=args.host,
        port=args.port,
        accounts=args.accounts or None,
        demo_accounts=args.demo_accounts,
        scenario=args.scenario,
    )


def _cmd_account(args: argparse.Namespace) -> Result:
    from .app.portal.server import account_command

    password = os.environ.get(PASSWORD_ENV) or getpass.getpass(f"password for {args.username}: ")
    return account_command(
        args.workspace,
        args.username,
        password,
        role=args.role,
        owner=args.owner or "",
        accounts=args.accounts or None,
    )


PASSWORD_ENV = "DUCTPLANNER_PASSWORD"
"""Environment variable: the new account's password (otherwise ``account`` asks for it)."""


def _cmd_validate(args: argparse.Namespace) -> Result:
    return validate_path(
        args.path,
        layer=args.layer,
        crs=args.crs,
        source_layer=args.source_layer,
        mapping=args.mapping,
        report=Path(args.report) if args.report else None,
        date_order=args.date_order,
        fields=dict(args.fields or ()),
        merge_twins=args.merge_twins,
    )


def _cmd_coverage(args: argparse.Namespace) -> Result:
    return coverage_command(
        args.workspace, drop=args.drop, side_paths=args.side_paths, progress=_shows_progress(args)
    )


def _cmd_opportunities(args: argparse.Namespace) -> Result:
    return opportunities_command(
        args.workspace,
        args.scenario,
        year=args.year,
        run=_run_date(args),
        conflict_years=args.conflict_years,
        progress=_shows_progress(args),
    )


def _cmd_plan(args: argparse.Namespace) -> Result:
    return plan_command(
        args.workspace,
        args.scenario,
        method=args.method,
        time_limit=args.time_limit,
        run=_run_date(args),
        progress=_shows_progress(args),
    )


def _cmd_simulate(args: argparse.Namespace) -> Result:
    return simulate_command(
        args.workspace,
        args.scenario,
        runs=args.runs,
        seed=args.seed,
        frontier=args.frontier,
        run=_run_date(args),
        progress=_shows_progress(args),
        sources=args.sources,
    )


def _cmd_map(args: argparse.Namespace) -> Result:
    chosen = ("audience", "owner", "basemap", "view", "scenarios", "lang")
    options = {name: value for name in chosen if (value := getattr(args, name, None))}
    return map_command(
        args.workspace,
        out=args.out,
        self_contained=args.self_contained,
        progress=_shows_progress(args),
        **options,
    )


def _cmd_report(args: argparse.Namespace) -> Result:
    return report_command(args.workspace, out=args.out, lang=args.lang)


def _cmd_requests(args: argparse.Namespace) -> Result:
    return requests_command(
        args.workspace,
        args.owner,
        out=args.out,
        scenario=args.scenario,
        as_of=parse_day(args.as_of),
        lang=args.lang,
        csv_dialect=args.csv,
    )


def _cmd_record(args: argparse.Namespace) -> Result:
    return record_command(
        args.workspace,
        args.dig,
        year=args.year,
        date=parse_day(args.date, "--date"),
        as_built=args.as_built,
        crs=args.crs,
        scenario=args.scenario,
        ler=args.ler,
        owner=args.owner,
        depth_mm=args.depth_mm,
        diameter_mm=args.diameter_mm,
    )


def _cmd_decide(args: argparse.Namespace) -> Result:
    return decide_command(
        args.workspace,
        args.dig,
        args.status,
        reason=args.reason or "",
        date=parse_day(args.date, "--date"),
        window=tuple(args.window) if args.window else None,
    )


def _cmd_export_ler(args: argparse.Namespace) -> Result:
    return ler_command(
        args.workspace, out=args.out, owner=args.owner, cvr=args.cvr, origins=args.origin,
        version=args.ler_version, enquiry_id=args.enquiry_id, area=args.area,
        depth_mm=args.depth_mm, diameter_mm=args.diameter_mm,
    )  # fmt: skip


HANDLERS: dict[str, Callable[[argparse.Namespace], Result]] = {
    "demo": _cmd_demo,
    "import": _cmd_import,
    "validate": _cmd_validate,
    "copy": _cmd_copy,
    "serve": _cmd_serve,
    "account": _cmd_account,
    "coverage": _cmd_coverage,
    "opportunities": _cmd_opportunities,
    "plan": _cmd_plan,
    "simulate": _cmd_simulate,
    "map": _cmd_map,
    "report": _cmd_report,
    "requests": _cmd_requests,
    "record": _cmd_record,
    "decide": _cmd_decide,
    "export-ler": _cmd_export_ler,
}


# --- the parser ----------------------------------------------------------------------


def _add_output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print a machine-readable summary")
    p.add_argument(
        "--quiet", action="store_true", help="no progress on standard error (only errors)"
    )


def _add_mapping(p: argparse.ArgumentParser) -> None:
    p.add_argument("--crs", help="CRS of the input when the file has none, e.g. EPSG:25832")
    p.add_argument("--source-layer", help="layer to read from a file that holds several")
    p.add_argument(
        "--mapping",
        help="field mapping: a TOML file, or a built-in name "
        "(geodanmark, vejman, osm, dar); default: guessed from the file",
    )
    p.add_argument(
        "--field",
        dest="fields",
        type=_field_rename,
        action="append",
        metavar="FIELD=COLUMN",
        help="read the layer's FIELD from the file's COLUMN, e.g. --field id=sagsnr "
        "(repeatable; over the mapping)",
    )
    p.add_argument(
        "--merge-twins",
        action=argparse.BooleanOptionalAction,
        help="streets: merge roads drawn as two lines side by side (each side of the road) "
        "into one centre line (default: as the mapping says; on for vejman)",
    )


def _field_rename(text: str) -> tuple[str, str]:
    """Parse ``FIELD=COLUMN`` (an argparse type)."""
    target, sep, column = text.partition("=")
    if not (sep and target.strip() and column.strip()):
        raise argparse.ArgumentTypeError(f"{text!r}: write FIELD=COLUMN, e.g. id=sagsnr")
    return target.strip(), column.strip()


def _add_run_date(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="the run's date, YYYY-MM-DD (default today): it plans from this year; digs "
        "whose window closed before it are left out",
    )
    p.add_argument(
        "--from",
        dest="first_year",
        type=int,
        metavar="YEAR",
        help="start in this past year, from the workspace as it was on 1 January "
        "(the committee's historical evaluation)",
    )


def _add_date_order(p: argparse.ArgumentParser) -> None:
    order = p.add_mutually_exclusive_group()
    order.add_argument(
        "--dayfirst",
        dest="date_order",
        action="store_const",
        const="dayfirst",
        default="auto",
        help="read dates such as 04-01-2026 day first (4 January); by default a column "
        "is read the way its unambiguous dates show, else day first, with a warning",
    )
    order.add_argument(
        "--monthfirst",
        dest="date_order",
        action="store_const",
        const="monthfirst",
        help="read dates such as 4/1/2026 month first (1 April)",
    )


def _add_plan_scenario(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenario", help="the plan's scenario, when the plan layer holds several")


def _add_demo_parser(sub: Any) -> None:
    p = sub.add_parser("demo", help="build the demo municipality and run every step on it")
    p.add_argument("--out", default="maps", help="output folder (default: maps/)")
    p.add_argument("--seed", type=int, default=2019, help="random seed (default 2019)")
    p.add_argument(
        "--lang", choices=["en", "da"], default="en", help="the maps' language (default en)"
    )
    _add_output_options(p)


def _add_import_parser(sub: Any) -> None:
    p = sub.add_parser("import", help="import a file into a workspace layer")
    p.add_argument(
        "workspace", help="workspace GeoPackage or postgresql:// URL (created when absent)"
    )
    p.add_argument("layer", help="target layer: streets, ducts, backbone, sites, digs, ...")
    p.add_argument("file", help="GeoPackage, Shapefile, GeoJSON, CSV, GML or .osm.pbf")
    p.add_argument("--append", action="store_true", help="add to the layer; ids stay unique")
    p.add_argument("--repair", action="store_true", help="repair invalid geometries")
    p.add_argument(
        "--workspace-crs",
        metavar="CRS",
        help="the CRS a new workspace is stored in, projected in metres (default: "
        "EPSG:25832 in Denmark, else the UTM zone of the data); a workspace keeps its CRS",
    )
    _add_mapping(p)
    _add_date_order(p)
    _add_output_options(p)


def _add_validate_parser(sub: Any) -> None:
    p = sub.add_parser("validate", help="check a workspace or a file, listing every problem")
    p.add_argument("path", help="workspace GeoPackage or input file")
    p.add_argument("--layer", help="layer to check (for a file: the layer it is meant for)")
    p.add_argument("--report", help="write the findings to FILE (.html, .json or .csv)")
    _add_mapping(p)
    _add_date_order(p)
    _add_output_options(p)


def _add_copy_parser(sub: Any) -> None:
    p = sub.add_parser(
        "copy", help="copy a workspace between GeoPackage and PostGIS, losslessly (checked)"
    )
    p.add_argument("source", help="workspace GeoPackage or postgresql:// URL")
    p.add_argument("target", help="workspace GeoPackage or postgresql://...?schema=NAME")
    p.add_argument("--replace", action="store_true", help="replace a workspace already there")
    _add_output_options(p)


def _add_serve_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve", help="the co-digging portal: utilities, the manager, the committee, citizens"
    )
    p.add_argument("workspace", help="workspace GeoPackage or postgresql:// URL")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: local)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--accounts",
        help="accounts: a SQLite file or postgresql://…?schema=NAME (default: "
        "WORKSPACE-portal.sqlite3; for PostGIS the schema SCHEMA_portal)",
    )
    p.add_argument(
        "--demo-accounts",
        action="store_true",
        help="make an account per role with new random passwords, and print them",
    )
    p.add_argument(
        "--scenario",
        help="the forecast citizens are shown (default: revised-2019 if simulated, else the first)",
    )
    _add_output_options(p)


def _add_account_parser(sub: Any) -> None:
    p = sub.add_parser("account", help="make or update a portal account")
    p.add_argument("workspace")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["utility", "manager", "committee"])
    p.add_argument("--owner", help="for a utility: its name as the owner of its digs")
    p.add_argument(
        "--accounts",
        help="accounts: a SQLite file or postgresql://…?schema=NAME (default: "
        "WORKSPACE-portal.sqlite3; for PostGIS the schema SCHEMA_portal)",
    )
    _add_output_options(p)


def _add_coverage_parser(sub: Any) -> None:
    p = sub.add_parser("coverage", help="who can get broadband through our ducts")
    p.add_argument("workspace")
    p.add_argument("--drop", type=float, default=None, help="drop distance in metres")
    p.add_argument(
        "--side-paths",
        type=float,
        default=None,
        metavar="M",
        help="a sidewalk or cycle track this close to a road is part of the road's corridor "
        "(default 12 m, as a scenario's coverage.side_path_distance_m; 0: every path as drawn)",
    )
    _add_output_options(p)


def _add_opportunities_parser(sub: Any) -> None:
    p = sub.add_parser("opportunities", help="co-digging candidates from the dig plans")
    p.add_argument("workspace")
    p.add_argument("--year", type=int, help="only digs whose trench is open in this year")
    p.add_argument(
        "--scenario",
        help="scenario TOML file or shipped name for costs, years and probabilities "
        "(default revised-2019)",
    )
    p.add_argument(
        "--conflict-years",
        type=int,
        default=2,
        help="flag one stretch opened by two parties within this many years (default 2)",
    )
    _add_run_date(p)
    _add_output_options(p)


def _add_plan_parser(sub: Any) -> None:
    p = sub.add_parser("plan", help="choose the digs to join, year by year, within budget")
    p.add_argument("workspace")
    p.add_argument("--scenario", required=True, help="scenario TOML file or shipped name")
    p.add_argument(
        "--method",
        choices=["milp", "greedy", "fcfs"],
        default=None,
        help="planning method (default: the scenario's; milp: greedy, then the MILP, with its gap)",
    )
    p.add_argument(
        "--time-limit", type=float, help="MILP: seconds for the solve (default: the scenario's, 60)"
    )
    _add_run_date(p)
    _add_output_options(p)


def _add_simulate_parser(sub: Any) -> None:
    p = sub.add_parser("simulate", help="forecast coverage over the regrowth cycle")
    p.add_argument("workspace")
    p.add_argument("--scenario", required=True, help="scenario TOML file or shipped name")
    p.add_argument("--runs", type=int, help="Monte Carlo runs (default: the scenario's)")
    p.add_argument("--seed", type=int, help="random seed (default: the scenario's)")
    p.add_argument(
        "--frontier",
        type=float,
        nargs="+",
        metavar="DKK",
        help="also forecast coverage at the horizon for these yearly duct budgets (frontier)",
    )
    p.add_argument(
        "--no-sources",
        dest="sources",
        action="store_false",
        help="skip saying what the band is made of (each source of uncertainty is a forecast "
        "of its own: up to five more)",
    )
    _add_run_date(p)
    _add_output_options(p)


def _add_map_parser(sub: Any) -> None:
    p = sub.add_parser("map", help="render the workspace as a Leaflet map")
    p.add_argument("workspace")
    p.add_argument("--out", help="HTML file (default: maps/<workspace>.html)")
    p.add_argument("--self-contained", action="store_true", help="embed every asset")
    p.add_argument(
        "--audience",
        choices=["manager", "committee", "utility"],
        help="whose map: every layer (manager, default), coverage (committee), one owner's digs",
    )
    p.add_argument("--owner", help="with --audience utility: the utility, as in the digs layer")
    p.add_argument(
        "--basemap",
        choices=["osm", "none", "skaermkort"],
        help="background map (skaermkort needs DATAFORSYNINGEN_TOKEN in the environment)",
    )
    p.add_argument(
        "--view",
        choices=["layers", "time", "compare"],
        help="layers (default); time: forecast coverage year by year; compare: two scenarios",
    )
    p.add_argument(
        "--scenario",
        dest="scenarios",
        action="append",
        help="scenario of the forecast to show (time: one; compare: two); as simulated",
    )
    p.add_argument(
        "--lang", choices=["en", "da"], help="the map's language and numbers (default en)"
    )
    _add_output_options(p)


def _add_report_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="the committee's evaluation report")
    p.add_argument("workspace")
    p.add_argument("--out", help="HTML file (default: maps/<workspace>-report.html)")
    p.add_argument("--lang", choices=["en", "da"], default="en", help="language and numbers")
    _add_output_options(p)


def _add_requests_parser(sub: Any) -> None:
    p = sub.add_parser("requests", help="what to ask one utility for")
    p.add_argument("workspace")
    p.add_argument("--owner", required=True, help="the utility, as named in the digs layer")
    p.add_argument("--out", help="folder for the GeoPackage, CSV and summary")
    p.add_argument(
        "--as-of",
        metavar="DATE",
        help="the day the requests go out, YYYY-MM-DD (default today): digs whose window "
        "closed before it are not requested",
    )
    p.add_argument("--lang", choices=["en", "da"], default="en", help="the letter's language")
    p.add_argument(
        "--csv",
        choices=list(CSV_DIALECTS),
        help="CSV dialect: plain (commas, UTF-8) or excel-da (semicolons, decimal commas, "
        "UTF-8 with BOM, as Danish Excel opens it); default excel-da with --lang da",
    )
    _add_plan_scenario(p)
    _add_output_options(p)


def _add_decide_parser(sub: Any) -> None:
    p = sub.add_parser("decide", help="log a utility's answer to a co-digging request")
    p.add_argument("workspace")
    p.add_argument("--dig", required=True, help="the dig whose request was answered")
    p.add_argument(
        "--status", required=True, choices=["agreed", "declined", "countered", "proposed"]
    )
    p.add_argument("--reason", default="", help="why (required when declined)")
    p.add_argument(
        "--window",
        nargs=2,
        metavar=("START", "END"),
        help="with --status countered: the other window the utility proposes, YYYY-MM-DD",
    )
    p.add_argument(
        "--date",
        metavar="DATE",
        help="the day the utility answered, YYYY-MM-DD (default today; not in the future)",
    )
    _add_output_options(p)


def _add_record_parser(sub: Any) -> None:
    p = sub.add_parser("record", help="record the ducts laid in a finished dig")
    p.add_argument("workspace")
    p.add_argument("--dig", required=True, help="the finished dig")
    p.add_argument(
        "--year", type=int, help="year laid (default: that of --date, else the year the dig ended)"
    )
    p.add_argument(
        "--date", metavar="DATE", help="the day the ducts were laid, YYYY-MM-DD (default today)"
    )
    p.add_argument(
        "--as-built",
        metavar="FILE",
        help="the lines laid as measured in (GeoPackage, GeoJSON, Shapefile, CSV ...): snapped "
        "to the streets, they replace the planned stretches",
    )
    p.add_argument("--crs", help="with --as-built: the CRS of its coordinates, if it has none")
    p.add_argument("--ler", help="also write the LER export of all ducts to FILE")
    p.add_argument("--owner", help="with --ler: duct owner as registered in LER")
    p.add_argument(
        "--depth-mm",
        type=float,
        metavar="MM",
        help="with --ler: guiding depth (LER asks it of ducts laid after 1 July 2023)",
    )
    p.add_argument(
        "--diameter-mm",
        type=float,
        metavar="MM",
        help="with --ler: outer diameter (LER asks it of ducts laid after 1 July 2023)",
    )
    _add_plan_scenario(p)
    _add_output_options(p)


def _add_export_ler_parser(sub: Any) -> None:
    p = sub.add_parser(
        "export-ler",
        help="the municipality's ducts as an answer to a LER enquiry (Graveforespoergselssvar)",
    )
    p.add_argument("workspace")
    p.add_argument("--out", help="GML file (default: <workspace>-ler.gml)")
    p.add_argument(
        "--ler-version",
        choices=sorted(LER_VERSIONS, reverse=True),
        default=DEFAULT_LER_VERSION,
        help=f"the LER version to write and check against (default {DEFAULT_LER_VERSION})",
    )
    p.add_argument(
        "--enquiry-id",
        metavar="UUID",
        help="the enquiry's id in LER (default: a stable id made from the ducts)",
    )
    p.add_argument(
        "--area",
        metavar="FILE",
        help="the enquiry area (graveområde): a file of polygons; only the ducts touching it",
    )
    p.add_argument(
        "--depth-mm",
        type=float,
        metavar="MM",
        help="guiding depth for ducts laid after 1 July 2023 without depth_mm (LER requires one)",
    )
    p.add_argument(
        "--diameter-mm",
        type=float,
        metavar="MM",
        help="outer diameter for ducts laid after 1 July 2023 without diameter_mm",
    )
    p.add_argument("--owner", help="duct owner as registered in LER (default: the ducts' owner)")
    p.add_argument("--cvr", help="the owner's CVR number (8 digits)")
    p.add_argument(
        "--origin",
        action="append",
        choices=["co-dig", "own-dig", "fibre-project", "unknown"],
        help="only ducts of this origin (repeatable)",
    )
    _add_output_options(p)


_SUBCOMMANDS: tuple[Callable[[Any], None], ...] = (
    _add_demo_parser,
    _add_import_parser,
    _add_validate_parser,
    _add_copy_parser,
    _add_serve_parser,
    _add_account_parser,
    _add_coverage_parser,
    _add_opportunities_parser,
    _add_plan_parser,
    _add_simulate_parser,
    _add_map_parser,
    _add_report_parser,
    _add_requests_parser,
    _add_decide_parser,
    _add_record_parser,
    _add_export_ler_parser,
)
"""Each adds one subcommand to the parser, in the order ``--help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``ductplanner`` command."""
    parser = argparse.ArgumentParser(
        prog="ductplanner",
        description="Plan broadband ducts laid by co-digging, and forecast coverage.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        result = HANDLERS[args.command](args)
    except DuctPlannerError as exc:
        if getattr(args, "json", False):
            failure: dict[str, Any] = {"error": str(exc), "type": type(exc).__name__}
            problems = getattr(exc, "problems", None)
            if problems:
                failure["problems"] = [p.as_dict() for p in problems]
            print(json.dumps(failure, ensure_ascii=False))
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    try:
        if args.json:
            print(json.dumps(result.summary, ensure_ascii=False, indent=2, default=str))
        elif result.text:
            print(result.text)
        sys.stdout.flush()
    except BrokenPipeError:  # `ductplanner coverage WS | head`: the reader has had enough
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the exit's own flush fails no more
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
