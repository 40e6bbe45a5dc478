"""Generate the README's list of rules from their ids and docstrings, so the list cannot drift.

python -m validate.docs            print the section
python -m validate.docs README.md  rewrite the section between its markers in place
"""

from __future__ import annotations

import sys
from pathlib import Path

from validate.intervals import ESTIMATE_TOLERANCE, TOLERANCE
from validate.rules import RULES

START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def rules_markdown() -> str:
    """One line per rule: its id and the first line of its docstring."""
    lines = [
        f"Tolerances: `approximately` and `nearly` t = {TOLERANCE:.0%}, `estimate` {ESTIMATE_TOLERANCE:.0%} "
        "(see `src/validate/intervals.py`).",
        "",
        "| rule | what must hold |",
        "| --- | --- |",
    ]
    for rule in RULES:
        first = (rule.__doc__ or "").strip().splitlines()[0]
        lines.append(f"| `{rule.__name__}` | {first} |")
    return "\n".join(lines)


def replace_section(text: str) -> str:
    """text with the part between the markers replaced by the generated list."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{rules_markdown()}\n{END}{tail}"


def main(argv: list[str]) -> int:
    if not argv:
        print(rules_markdown())
        return 0
    path = Path(argv[0])
    path.write_text(replace_section(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
