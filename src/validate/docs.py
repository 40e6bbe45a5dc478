"""Generate the README's list of rules from their ids and docstrings, so the list cannot drift.

python -m validate.docs            print the section
python -m validate.docs README.md  rewrite the section between its markers in place
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

from validate.intervals import ESTIMATE_TOLERANCE, TOLERANCE
from validate.rules import RULES

START, END = "<!-- rules:start -->", "<!-- rules:end -->"
RECON = ("<!-- reconciliation:start -->", "<!-- reconciliation:end -->")
ROOT = Path(__file__).resolve().parents[2]


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


def _rows(root: Path, table: str) -> list[dict[str, str]]:
    with (root / "data" / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def reconciliation_markdown(root: Path = ROOT) -> str:
    """What the reconciliation found, from data/discrepancies.csv and the figures it names."""
    figures = {r["figure_id"]: r for r in _rows(root, "figures")}
    sources = _rows(root, "sources")
    found = _rows(root, "discrepancies")
    origins = Counter(r["origin"] for r in sources)
    kinds = Counter(r["kind"] for r in found)
    derived = [r for r in figures.values() if r["derivation"]]
    lines = [
        f"{len(figures)} figures from {len(sources)} sources ({origins['core-article']} core articles, "
        f"{origins['stored-web-excerpt']} stored excerpts of primary reporting); "
        f"{sum(r['disputed'] == 'true' for r in figures.values())} figures are marked disputed, and "
        f"{len(found)} discrepancies explain why ("
        + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(kinds.items()))
        + "). Each row keeps what its source says; `discrepancies` says where it goes wrong.",
        "",
    ]
    for r in found:
        who = sorted({k.rsplit("-", 1)[0] for k in r["rows"].split()})
        lines.append(
            f"- `{r['discrepancy_id']}` {r['kind'].replace('_', ' ')} ({', '.join(who)}): {r['explanation']}"
        )
    if derived:
        lines += ["", "Derived figures, checked by `derivation_agrees`:", ""]
        for r in derived:
            ins = [figures[i] for i in r["derived_from"].split() if i in figures]
            parts = " and ".join(f"{i['value_text']} (`{i['figure_id']}`)" for i in ins)
            lines.append(f"- `{r['figure_id']}` {r['value_text']}: the {r['derivation']} of {parts}")
    return "\n".join(lines)


def _replace(text: str, markers: tuple[str, str], body: str) -> str:
    start, end = markers
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{body}\n{end}{tail}"


def replace_section(text: str, root: Path = ROOT) -> str:
    """text with the generated parts between their markers replaced."""
    text = _replace(text, (START, END), rules_markdown())
    if RECON[0] in text:
        text = _replace(text, RECON, reconciliation_markdown(root))
    return text


def main(argv: list[str]) -> int:
    if not argv:
        print(rules_markdown())
        print(reconciliation_markdown())
        return 0
    path = Path(argv[0])
    path.write_text(replace_section(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
