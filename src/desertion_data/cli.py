"""The `desertion-data` command (also `python -m desertion_data`).

Errors are one line on stderr and a non-zero exit, never a traceback: 2 for usage (a bad option or
argument), 1 otherwise (a bad package, a failed export); 141 when the reader of the output goes
away (`| head`), quietly. Control and escape characters in the data are printed escaped.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

EXPORT_FORMATS = ("csv", "parquet", "xlsx", "sqlite")
BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a producer whose reader closed the pipe
# control characters (C0, DEL, C1: ANSI escapes among them) and bidirectional overrides
UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


class CliError(Exception):
    """A failure to report in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"desertion-data: error: {message}\n")


class _Version(argparse.Action):
    """--version, read from the descriptor only when asked for (so --help needs no package)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        bad = _package_problem()
        if bad:
            parser.exit(1, f"desertion-data: error: {escape(bad)}\n")
        import desertion_data as dd

        _print(f"desertion-data {dd.__version__}")
        parser.exit(0)


def escape(text: str, keep_newlines: bool = True) -> str:
    """Text safe for a terminal: control and escape characters shown as escapes, not obeyed."""

    def one(m: re.Match[str]) -> str:
        ch = m.group()
        if ch == "\n" and keep_newlines:
            return ch
        return NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")

    return UNSAFE.sub(one, text)


def _print(text: str = "", file=None) -> None:
    print(escape(str(text)), file=file or sys.stdout)


def _package_problem() -> str | None:
    from desertion_data._check import problem

    return problem()


def _nonnegative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative; give 0 or more rows")
    return value


def _load(name: str):
    """A table, or a CliError naming its file and, for a missing column, the column."""
    import desertion_data as dd
    from desertion_data._check import table_problem

    if name not in dd.names():
        valid = ", ".join(dd.names())
        raise CliError(f"no table named {name!r}; the tables are: {valid}")
    try:
        return dd.load(name)
    except Exception as exc:
        raise CliError(table_problem(name, exc)) from None


def cmd_list(args: argparse.Namespace) -> int:
    import desertion_data as dd

    for res in dd.descriptor()["resources"]:
        _print(f"{res['name']:<10} {res['path']:<22} {res.get('description', '')}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    import pandas as pd

    table = _load(args.table)
    frame, total = table.head(args.limit).copy(), len(table)
    for col in frame.columns:
        if frame[col].dtype == "string":
            frame[col] = frame[col].map(lambda v: escape(v, keep_newlines=False), na_action="ignore")
            frame[col] = frame[col].astype("string")
    with pd.option_context("display.max_columns", None, "display.width", 200, "display.max_colwidth", 60):
        _print(frame.to_string(index=False))
    _print(f"({len(frame)} of {total} rows)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import desertion_data as dd
    from desertion_data._export import export

    try:
        written = export(args.format, args.out, force=args.force, metadata=not args.no_metadata)
    except dd.ExportError as exc:
        raise CliError(str(exc)) from None
    _print(f"wrote {len(dd.names())} tables as {args.format} to {args.out}")
    for path in written[1:] if args.format == "sqlite" else []:
        _print(f"wrote Datasette metadata to {path} (datasette {args.out} --metadata {path})")
    return 0


def cmd_codebook(args: argparse.Namespace) -> int:
    import desertion_data as dd
    from desertion_data._export import atomic, check_targets

    text = dd.codebook(args.format)
    if not args.out:
        sys.stdout.write(escape(text))
        return 0
    out = Path(args.out)
    try:
        check_targets([out], args.force)
        with atomic(out) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except dd.ExportError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write {exc.filename or out}: {exc.strerror or exc}") from None
    return 0


def cmd_cite(args: argparse.Namespace) -> int:
    import desertion_data as dd

    if args.figure:
        figures = _load("figures")
        found = figures[figures["figure_id"] == args.figure]
        if not found.empty:
            source_id = found.iloc[0]["source_id"]
            sources = _load("sources")
            if not (sources["source_id"] == source_id).any():
                raise CliError(
                    f"{dd.path('sources')}: no source {source_id!r}, which figure {args.figure!r} "
                    "names in field 'source_id'"
                )
    try:
        _print(dd.cite(style=args.format, figure_id=args.figure))
    except KeyError as exc:
        raise CliError(exc.args[0]) from None
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    import desertion_data as dd

    result = dd.verify()
    _print(result)
    return 0 if result.ok else 1


SERIES_TEXT_COLUMNS = (
    "country", "measure", "freq", "period_start", "period_end", "best", "low", "high", "n_sources", "method",
)  # fmt: skip


def cmd_series(args: argparse.Namespace) -> int:
    import desertion_data as dd
    from desertion_data._check import table_problem
    from desertion_data._export import csv_cell, formula_like

    try:
        frame = dd.series(country=args.country, measure=args.measure, freq=args.freq)
    except Exception as exc:
        raise CliError(table_problem("series", exc)) from None
    if args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(frame.columns)
        for record in frame.astype(object).where(frame.notna(), None).itertuples(index=False):
            cells = [csv_cell(v) for v in record]
            for name, cell in zip(frame.columns, cells, strict=True):
                if frame[name].dtype == "string" and formula_like(cell):
                    raise CliError(
                        f"{dd.path('series')}: series {record[0]!r} field {name!r} starts like a "
                        "spreadsheet formula; not written"
                    )
            writer.writerow([escape(c, keep_newlines=False) for c in cells])
        return 0
    import pandas as pd

    shown = frame[list(SERIES_TEXT_COLUMNS)].copy()
    for col in shown.columns:
        if shown[col].dtype == "string":
            shown[col] = shown[col].map(lambda v: escape(v, keep_newlines=False), na_action="ignore")
        elif col in ("best", "low", "high"):
            shown[col] = [("-" if pd.isna(v) else csv_cell(float(v))) for v in shown[col]]
    with pd.option_context("display.max_columns", None, "display.width", 200):
        _print(shown.to_string(index=False) if len(shown) else "no series rows match")
    _print(f"({len(shown)} rows; high '-' = no upper bound; all columns: --format csv)")
    return 0


def _picture_file(text: str) -> str:
    if Path(text).suffix.lower() not in (".svg", ".png"):
        raise argparse.ArgumentTypeError(f"{text!r} must end in .svg or .png")
    return text


def cmd_plot(args: argparse.Namespace) -> int:
    import desertion_data as dd
    from desertion_data._plot import PlotError, write

    try:
        path = write(args.name, args.out, force=args.force)
    except (PlotError, dd.ExportError) as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write {exc.filename or args.out}: {exc.strerror or exc}") from None
    _print(f"wrote {args.name} to {path}")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    import desertion_data as dd

    desc = dd.descriptor()
    licences = desc.get("licenses") or [{}]
    licence = licences[0].get("name", "not stated") if isinstance(licences[0], dict) else "not stated"
    _print(f"{desc['name']} {desc['version']} ({str(desc.get('created', 'undated'))[:10]})")
    _print(desc.get("title", ""))
    _print(f"licence: {licence}; package SHA-256 {dd.package_sha256()}")
    _print(f"files: {dd.path(dd.names()[0]).parent.parent}")
    for name in dd.names():
        _print(f"  {name}: {len(_load(name))} rows")
    return 0


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="desertion-data", description=__doc__.splitlines()[0])
    p.add_argument("--version", action=_Version, help="print the version of the data package and exit")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="the tables").set_defaults(func=cmd_list)
    show = sub.add_parser("show", help="print a table's first rows")
    show.add_argument("table")
    show.add_argument("--limit", type=_nonnegative, default=10, help="rows to print (0 or more)")
    show.set_defaults(func=cmd_show)
    export = sub.add_parser("export", help="write every table to another format, keeping keys and types")
    export.add_argument("--format", choices=EXPORT_FORMATS, required=True)
    export.add_argument("--out", required=True, help="a folder for csv/parquet, a file for xlsx/sqlite")
    export.add_argument("--force", action="store_true", help="replace files that exist")
    export.add_argument(
        "--no-metadata", action="store_true", help="sqlite: no Datasette metadata (X.metadata.json)"
    )
    export.set_defaults(func=cmd_export)
    book = sub.add_parser("codebook", help="every field's type, constraints, allowed values, description")
    book.add_argument("--format", choices=("md", "csv"), default="md")
    book.add_argument("--out", metavar="FILE", help="write to FILE instead of printing")
    book.add_argument("--force", action="store_true", help="replace FILE if it exists")
    book.set_defaults(func=cmd_codebook)
    cite = sub.add_parser("cite", help="how to cite this release (or one figure's source)")
    cite.add_argument("--format", choices=("text", "bibtex", "cff"), default="text")
    cite.add_argument("--figure", metavar="FIGURE_ID", help="cite the original source of this figure")
    cite.set_defaults(func=cmd_cite)
    sub.add_parser("verify", help="check the installed files against their SHA-256").set_defaults(
        func=cmd_verify
    )
    sub.add_parser("info", help="version, licence and table sizes").set_defaults(func=cmd_info)
    ser = sub.add_parser("series", help="one best value per country, measure and period, with its range")
    ser.add_argument("--country", help="UA or RU")
    ser.add_argument("--measure", help="a measure, e.g. desertion_cases (see `show measures`)")
    ser.add_argument("--freq", choices=("year", "month", "span"))
    ser.add_argument("--format", choices=("text", "csv"), default="text")
    ser.set_defaults(func=cmd_series)
    from desertion_data._plot import PICTURES

    plot = sub.add_parser("plot", help="draw a picture of the series (needs the plot extra)")
    plot.add_argument("name", choices=list(PICTURES))
    plot.add_argument("--out", required=True, type=_picture_file, metavar="FILE", help="a .svg or .png file")
    plot.add_argument("--force", action="store_true", help="replace FILE if it exists")
    plot.set_defaults(func=cmd_plot)
    return p


def _quiet_stdout() -> None:
    """After a closed pipe: send what is left to /dev/null, so the exit flush raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - stdout without a file descriptor
        pass


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
        bad = _package_problem()
        if bad:
            raise CliError(bad)
        code = args.func(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return BROKEN_PIPE
    except KeyboardInterrupt:
        print("desertion-data: interrupted", file=sys.stderr)
        return 130
    except CliError as exc:
        print(f"desertion-data: error: {escape(str(exc))}", file=sys.stderr)
        return 1
    except Exception as exc:  # the promise is one line, never a traceback
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"desertion-data: error: {type(exc).__name__}: {escape(text)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
