"""python -m validate [DATAPACKAGE] [--sources DIR] [--format text|json]"""

from __future__ import annotations

import argparse
import sys

from validate import InputError, run


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with one line, never a traceback
        self.print_usage(sys.stderr)
        self.exit(2, f"validate: error: {message}\n")


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(
        prog="python -m validate", description="Check the desertion-data package's consistency rules."
    )
    parser.add_argument("datapackage", nargs="?", default="datapackage.json", help="descriptor or its folder")
    parser.add_argument("--sources", metavar="DIR", help="folder of source texts, found by SHA-256")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    args = parser.parse_args(argv)
    try:
        report = run(args.datapackage, args.sources)
    except InputError as exc:
        print(f"validate: cannot read the package: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(report.to_json())
        import json

        print(json.dumps({"summary": report.summary()}, ensure_ascii=False), file=sys.stderr)
    else:
        print(report.to_text())
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
