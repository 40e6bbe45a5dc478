"""python -m validate [DATAPACKAGE] [--sources DIR] [--format text|json] [--output FILE]

Exit codes: 0 no errors (warnings allowed), 1 errors, 2 the input cannot be read or the options
are wrong, 130 interrupted (Ctrl-C). Every failure is one line on stderr, never a traceback.
In json mode stdout carries the JSON report and nothing else (the summary goes to stderr); with
--output the report goes to FILE (never inside the package's data/ or schemas/, nor over its
descriptor) and only the summary line is printed, on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with one line, never a traceback
        self.print_usage(sys.stderr)
        self.exit(2, f"validate: error: {message}\n")


def _parser() -> _Parser:
    parser = _Parser(
        prog="python -m validate", description="Check the desertion-data package's consistency rules."
    )
    parser.add_argument("datapackage", nargs="?", default="datapackage.json", help="descriptor or its folder")
    parser.add_argument("--sources", metavar="DIR", help="folder of source texts, found by SHA-256")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    return parser


def output_refused(target: Path, datapackage: Path) -> str | None:
    """Why the report may not be written at target, or None: never into the package's files."""
    base = datapackage if datapackage.is_dir() else datapackage.parent
    base = base.resolve()
    if target.is_symlink():
        return f"{target} is a symlink; name a plain file"
    if target.is_dir():
        return f"{target} is a folder; name a file"
    where = target.resolve()
    if where == base / "datapackage.json" or where == datapackage.resolve():
        return f"{target} is the package's descriptor"
    for folder in ("data", "schemas"):
        if where.is_relative_to(base / folder):
            return f"{target} is inside the package's {folder}/ folder"
    return None


def _write(text: str, output: str | None) -> None:
    if output is None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
    else:
        with open(output, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text + "\n")


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:
        print("validate: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:  # stderr closed too: nothing left to tell anyone
        _silence()
        return 1


def _silence() -> None:
    """Point stdout at /dev/null, so that the interpreter's last flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _main(argv: list[str] | None) -> int:
    args = _parser().parse_args(argv)
    from validate import InputError, run

    if args.output is not None and (why := output_refused(Path(args.output), Path(args.datapackage))):
        print(f"validate: error: --output: {why}", file=sys.stderr)
        return 2
    try:
        report = run(args.datapackage, args.sources)
    except InputError as exc:
        print(f"validate: cannot read the package: {exc}", file=sys.stderr)
        return 2
    text = report.to_json() if args.format == "json" else report.to_text()
    try:
        _write(text, args.output)
    except BrokenPipeError:
        # the reader went away (`python -m validate | head -1`): end quietly with the report's code
        _silence()
        return report.exit_code
    except OSError as exc:
        print(f"validate: error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    if args.output is not None:
        print(report.summary_line(), file=sys.stderr)
    elif args.format == "json":
        import json

        print(json.dumps({"summary": report.summary()}, ensure_ascii=False), file=sys.stderr)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
