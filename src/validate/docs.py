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


def summary_markdown(root: Path = ROOT) -> str:
    """The package in numbers, counted from the tables (never typed by hand)."""
    tables = {
        t: _rows(root, t) for t in ("sources", "figures", "penalties", "quotes", "events", "discrepancies")
    }
    sources, figures, found = tables["sources"], tables["figures"], tables["discrepancies"]
    origins = Counter(r["origin"] for r in sources)
    types = Counter(r["source_type"] for r in sources)
    giving = {r["source_id"] for r in figures}
    relays = sum(bool(r["relays"]) for r in sources)
    kinds = Counter(r["kind"] for r in found)
    disputed = {
        t: sum(r["disputed"] == "true" for r in rows)
        for t, rows in tables.items()
        if t not in ("sources", "discrepancies")
    }
    return (
        f"{len(figures)} figures from {len(giving)} of the {len(sources)} sources "
        f"({origins['core-article']} core articles and {origins['stored-web-excerpt']} stored web excerpts: "
        + ", ".join(
            f"{n} {k.replace('-', ' ')}" for k, n in sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        + f"; {relays} of them relay another outlet or body), {len(tables['penalties'])} penalties, "
        f"{len(tables['quotes'])} quotes and {len(tables['events'])} events. "
        f"{len(found)} discrepancies ("
        + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(kinds.items()))
        + ") question "
        + ", ".join(f"{n} {t}" for t, n in disputed.items())
        + " (`disputed` is true on exactly those rows; the rows they cite as evidence are not disputed). "
        "Each row keeps what its source says; `discrepancies` says where it goes wrong."
    )


def reconciliation_markdown(root: Path = ROOT) -> str:
    """What the reconciliation found, from data/discrepancies.csv and the figures it names."""
    figures = {r["figure_id"]: r for r in _rows(root, "figures")}
    found = _rows(root, "discrepancies")
    derived = [r for r in figures.values() if r["derivation"]]
    lines = [summary_markdown(root), ""]
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
