"""The `desertion-data` command (also `python -m desertion_data`).

Errors are one line on stderr and a non-zero exit (2 for usage, 1 otherwise), never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import desertion_data as dd

EXPORT_FORMATS = ("csv", "parquet", "xlsx", "sqlite")


class CliError(Exception):
    """A failure to report in one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"desertion-data: error: {message}\n")


def cmd_list(args: argparse.Namespace) -> int:
    for res in dd.descriptor()["resources"]:
        print(f"{res['name']:<10} {res['path']:<22} {res.get('description', '')}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    import pandas as pd

    frame = _load(args.table)
    with pd.option_context("display.max_columns", None, "display.width", 200, "display.max_colwidth", 60):
        print(frame.head(args.limit).to_string(index=False))
    print(f"({min(args.limit, len(frame))} of {len(frame)} rows)")
    return 0


def _load(name: str):
    try:
        return dd.load(name)
    except KeyError as exc:
        raise CliError(exc.args[0]) from None


def cmd_export(args: argparse.Namespace) -> int:
    out = Path(args.out)
    tables = dd.load_all()
    try:
        if args.format == "sqlite":
            import sqlite3

            out.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(out) as con:
                for name, frame in tables.items():
                    _plain(frame).to_sql(name, con, if_exists="replace", index=False)
        elif args.format == "xlsx":
            try:
                import openpyxl  # noqa: F401
            except ImportError:
                raise CliError("xlsx export needs openpyxl: pip install 'desertion-data[export]'") from None
            import pandas as pd

            out.parent.mkdir(parents=True, exist_ok=True)
            with pd.ExcelWriter(out, engine="openpyxl") as writer:
                for name, frame in tables.items():
                    _plain(frame).to_excel(writer, sheet_name=name, index=False)
        else:
            out.mkdir(parents=True, exist_ok=True)
            for name, frame in tables.items():
                target = out / f"{name}.{args.format}"
                if args.format == "csv":
                    frame.to_csv(target, index=False, lineterminator="\n")
                else:
                    frame.to_parquet(target, index=False)
    except OSError as exc:
        raise CliError(f"cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {len(tables)} tables as {args.format} to {out}")
    return 0


def _plain(frame):
    """Dates as ISO text, for formats without a date type of their own."""
    out = frame.copy()
    for col in out.columns:
        if str(out[col].dtype).startswith("datetime"):
            out[col] = out[col].dt.strftime("%Y-%m-%d")
    return out


def cmd_cite(args: argparse.Namespace) -> int:
    try:
        print(dd.cite(style=args.format, figure_id=args.figure))
    except KeyError as exc:
        raise CliError(exc.args[0]) from None
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    result = dd.verify()
    print(result)
    return 0 if result.ok else 1


def cmd_info(args: argparse.Namespace) -> int:
    desc = dd.descriptor()
    print(f"{desc['name']} {desc['version']} ({desc['created'][:10]})")
    print(desc["title"])
    print(f"licence: {desc['licenses'][0]['name']}; package SHA-256 {dd.package_sha256()}")
    print(f"files: {dd.path(dd.names()[0]).parent.parent}")
    for name in dd.names():
        print(f"  {name}: {len(dd.load(name))} rows")
    return 0


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="desertion-data", description=__doc__.splitlines()[0])
    p.add_argument("--version", action="version", version=f"desertion-data {dd.__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub.add_parser("list", help="the tables").set_defaults(func=cmd_list)
    show = sub.add_parser("show", help="print a table's first rows")
    show.add_argument("table")
    show.add_argument("--limit", type=int, default=10)
    show.set_defaults(func=cmd_show)
    export = sub.add_parser("export", help="write every table to another format")
    export.add_argument("--format", choices=EXPORT_FORMATS, required=True)
    export.add_argument("--out", required=True, help="a folder for csv/parquet, a file for xlsx/sqlite")
    export.set_defaults(func=cmd_export)
    cite = sub.add_parser("cite", help="how to cite this release (or one figure's source)")
    cite.add_argument("--format", choices=("text", "bibtex", "cff"), default="text")
    cite.add_argument("--figure", metavar="FIGURE_ID", help="cite the original source of this figure")
    cite.set_defaults(func=cmd_cite)
    sub.add_parser("verify", help="check the installed files against their SHA-256").set_defaults(
        func=cmd_verify
    )
    sub.add_parser("info", help="version, licence and table sizes").set_defaults(func=cmd_info)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except CliError as exc:
        print(f"desertion-data: error: {exc}", file=sys.stderr)
        return 1
    except (OSError, ValueError, ImportError) as exc:
        print(f"desertion-data: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
