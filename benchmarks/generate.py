"""Synthetic, valid desertion-data packages of any size, and copies with injected violations.

Each group of 10 figures has its own dates (a day apart from the next group's), so groups never
meet in a cross-row rule: a total (absence_cases), three parts with disjoint periods and one
desertion part ("including"), and a 5-step cumulative series (RU, growing). Values repeat across
groups, so excerpts come from a small set and one short source text holds them all.

    python benchmarks/generate.py OUT_DIR N_FIGURES [--inject FRACTION]

With --inject, about FRACTION of the groups get one violation each, chosen in turn from five kinds,
and OUT_DIR/injected.json lists the (rule, key) pairs the validator must report.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from validate.stamp import dump, stamp_resource  # noqa: E402

GROUP = 10
SOURCE = "synthetic-source"
EPOCH = dt.date(1900, 1, 1)
# (suffix, measure, country, value, start offset days, end offset days, parent suffix)
LAYOUT = [
    ("a", "absence_cases", "UA", 1000, 0, 400, None),
    ("b", "awol_cases", "UA", 100, 0, 99, "a"),
    ("c", "awol_cases", "UA", 200, 100, 199, "a"),
    ("d", "awol_cases", "UA", 300, 200, 299, "a"),
    ("e", "desertion_cases", "UA", 50, 1, 400, "a"),
    ("f", "absence_cases", "RU", 10, 0, 80, None),
    ("g", "absence_cases", "RU", 20, 0, 160, None),
    ("h", "absence_cases", "RU", 30, 0, 240, None),
    ("i", "absence_cases", "RU", 40, 0, 320, None),
    ("j", "absence_cases", "RU", 1050, 0, 400, None),
]
VALUE_TEXT = {v: f"{v:,}" for *_, v, _, _, _ in [(r[0], r[1], r[2], r[3], r[4], r[5], r[6]) for r in LAYOUT]}


def write_series(out: Path, desc: dict) -> None:
    """data/series.csv as `nox -s series` would write it for this package (the rule series_current
    rebuilds it on every run, so a valid package carries the fresh build)."""
    from validate.series import build, tables_of, to_csv

    (out / "data" / "series.csv").write_text(to_csv([]), encoding="utf-8")
    (out / "datapackage.json").write_text(dump(desc), encoding="utf-8")
    (out / "data" / "series.csv").write_text(
        to_csv(build(tables_of(out / "datapackage.json"))), encoding="utf-8"
    )


def excerpt(value: int, part: bool) -> str:
    return f"They counted {value:,} cases{' including' if part else ''}."


def source_text() -> str:
    lines = {excerpt(v, p is not None) for _, _, _, v, _, _, p in LAYOUT}
    lines |= {excerpt(5000, True), "They counted cases."}
    return "Synthetic source for benchmarks.\n" + "\n".join(sorted(lines)) + "\n"


def figures(n: int) -> pl.DataFrame:
    groups = max(1, n // GROUP)
    g = np.repeat(np.arange(groups), len(LAYOUT))
    k = np.tile(np.arange(len(LAYOUT)), groups)
    col = {
        name: np.array([row[i] for row in LAYOUT], dtype=object)[k]
        for i, name in enumerate(["suffix", "measure", "country", "value", "start", "end", "parent"])
    }
    base = np.datetime64(EPOCH) + g.astype("timedelta64[D]") * 3
    start = (base + col["start"].astype(int).astype("timedelta64[D]")).astype(str)
    end = (base + col["end"].astype(int).astype("timedelta64[D]")).astype(str)
    suffixes = [row[0] for row in LAYOUT]
    fid = np.char.add(f"{SOURCE}-f", np.char.mod("%08d", g * GROUP + k))
    has_parent = col["parent"] != None  # noqa: E711 - elementwise on an object array
    parent_k = np.array([suffixes.index(p) if p else 0 for p in col["parent"][: len(LAYOUT)]])[k]
    parent = np.where(has_parent, np.char.add(f"{SOURCE}-f", np.char.mod("%08d", g * GROUP + parent_k)), None)
    values = col["value"].astype(int)
    return pl.DataFrame(
        {
            "figure_id": fid.tolist(),
            "source_id": SOURCE,
            "country": col["country"].astype(str),
            "measure": col["measure"].astype(str),
            "value": values.astype(float),
            "value_text": [VALUE_TEXT[v] for v in values],
            "unit": "cases",
            "qualifier": "exact",
            "period_start": start,
            "period_end": end,
            "period_end_stated": True,
            "period_text": None,
            "parent_figure_id": parent.tolist(),
            "parent_basis": np.where(has_parent, "including", None).tolist(),
            "reported_by": None,
            "excerpt": [excerpt(v, p) for v, p in zip(values, has_parent, strict=True)],
            "excerpt_en": None,
            "translated_by": None,
            "notes": None,
        },
        schema_overrides={
            "period_text": pl.String,
            "reported_by": pl.String,
            "excerpt_en": pl.String,
            "translated_by": pl.String,
            "notes": pl.String,
            "parent_figure_id": pl.String,
            "parent_basis": pl.String,
        },
    )


INJECTIONS = (
    "subset_within_total",
    "period_nested",
    "cumulative_nondecreasing",
    "rows_match_schema",
    "value_readable",
)


def inject(frame: pl.DataFrame, fraction: float, seed: int = 1) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """Break about `fraction` of the groups, one rule each; return the frame and the (rule, key) pairs."""
    groups = frame.height // GROUP
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(groups, size=max(1, int(groups * fraction)), replace=False))
    rows = frame.to_dict(as_series=False)
    expected = []
    for n, g in enumerate(chosen):
        kind = INJECTIONS[n % len(INJECTIONS)]
        at = g * GROUP
        if kind == "subset_within_total":  # part b above its total a
            i = at + 1
            rows["value"][i], rows["value_text"][i], rows["excerpt"][i] = 5000.0, "5,000", excerpt(5000, True)
        elif kind == "period_nested":  # part c ends after its total
            i = at + 2
            rows["period_end"][i] = str(dt.date.fromisoformat(rows["period_end"][at]) + dt.timedelta(days=1))
        elif kind == "cumulative_nondecreasing":  # step h falls below step g
            i = at + 7
            rows["value"][i], rows["value_text"][i], rows["excerpt"][i] = 10.0, "10", excerpt(10, False)
        elif kind == "rows_match_schema":
            i = at + 3
            rows["qualifier"][i] = "roughly"
        else:  # value_readable: the excerpt no longer states the number
            i = at + 4
            rows["excerpt"][i] = "They counted cases."
        expected.append((kind, rows["figure_id"][i]))
    return pl.DataFrame(rows, schema=frame.schema), expected


def conform(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    """The frame with the schema's columns in order; a column it lacks is false (boolean) or empty."""
    fields = json.loads((ROOT / "schemas" / f"{table}.schema.json").read_text(encoding="utf-8"))["fields"]
    cols = []
    for f in fields:
        if f["name"] in frame.columns:
            cols.append(pl.col(f["name"]))
        elif f["type"] == "boolean":
            cols.append(pl.lit(False).alias(f["name"]))
        else:
            cols.append(pl.lit(None, dtype=pl.String).alias(f["name"]))
    return frame.select(cols)


def write_package(out: Path, frame: pl.DataFrame) -> Path:
    """Write the package (real schemas and measures, one synthetic source) and its source text."""
    shutil.rmtree(out, ignore_errors=True)
    (out / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "schemas", out / "schemas")
    for name in ("measures", "reporting_bodies"):
        shutil.copy(ROOT / "data" / f"{name}.csv", out / "data" / f"{name}.csv")
    texts = out / "sources"
    texts.mkdir()
    text = source_text().encode("utf-8")
    (texts / f"{SOURCE}.txt").write_bytes(text)
    sources = pl.DataFrame(
        {
            "source_id": [SOURCE],
            "title": ["Synthetic"],
            "publisher": [None],
            "published": [None],
            "published_not_before": [None],
            "url": ["https://example.org/synthetic"],
            "language": ["en"],
            "translated_from": [None],
            "origin": ["core-article"],
            "source_type": ["news"],
            "file": [f"{SOURCE}.txt"],
            "sha256": [hashlib.sha256(text).hexdigest()],
            "notes": [None],
        },
        schema_overrides={
            c: pl.String
            for c in ("publisher", "published", "published_not_before", "translated_from", "notes")
        },
    )
    conform(sources, "sources").write_csv(out / "data" / "sources.csv", line_terminator="\n")
    conform(frame, "figures").write_csv(
        out / "data" / "figures.csv", line_terminator="\n", float_precision=None
    )
    for name in ("penalties", "quotes", "events", "discrepancies"):
        (out / "data" / f"{name}.csv").write_bytes(
            (ROOT / "data" / f"{name}.csv").read_bytes().split(b"\n", 1)[0] + b"\n"
        )
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    write_series(out, desc)
    desc["resources"] = [stamp_resource(out, res) for res in desc["resources"]]
    (out / "datapackage.json").write_text(dump(desc), encoding="utf-8")
    return out / "datapackage.json"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("n", type=int)
    p.add_argument("--inject", type=float, default=0.0)
    args = p.parse_args(argv)
    frame = figures(args.n)
    expected: list[tuple[str, str]] = []
    if args.inject:
        frame, expected = inject(frame, args.inject)
    write_package(args.out, frame)
    (args.out / "injected.json").write_text(json.dumps(expected), encoding="utf-8")
    print(f"{args.out}: {frame.height} figures, {len(expected)} injected violations")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
