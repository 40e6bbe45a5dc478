"""The series table: one answer per country, measure and period, built from the claims by code.

A cell is a country, a measure and a period (first day, last day) that at least one figure states,
with a stated end. Its claims are every such figure; from them:

- best: the value of the claim `choose` ranks first (its order is the documented choice rule);
- low, high: the envelope of the bounds of every undisputed claim, as the rules compute them
  (validate.intervals.bounds from the qualifier, widened by the rounding a round written form
  implies, validate.readable.rounding: '235,000' stands for 234,500..235,500, while a number
  written to the unit stands for itself); empty high = no upper bound (a claim says "more than");
- n_sources: independent origins among the claims: a claim's origin is the body it is attributed to
  (reporting_body), else whom its source relays, else the source itself, so relays of one reply
  count once;
- method: one_claim, claims_agree (every undisputed claim overlaps every other), chosen (claims
  conflict; the choice rule picks one), derived_difference or derived_sum (see below).

Derived cells, for periods no figure states:
- by difference: two cells of one country and measure that start on the same day are cumulative
  counts; when both best claims are primary (attributed to a body, in news reporting or a statute)
  and undisputed, both ranges are bounded, and neither cell is a single month, the span between
  their ends is their difference, bounds propagated ([lo2 - hi1, hi2 - lo1], not below 0);
- by sum: AWOL and desertion proceedings (art. 407 and art. 408) together are all unauthorised-
  absence proceedings, so for a period with both parts (their best claims undisputed) and no
  total, the total is their sum (measures named awol_X and desertion_X for absence_X).

`build` returns the table; `to_csv` writes it in the package's dialect; `python -m validate.series
[DATAPACKAGE]` (the nox session `series`) rewrites data/series.csv. Never edited by hand: the rule
series_current fails when the committed table differs from a fresh build.
"""

from __future__ import annotations

import csv
import io
import itertools
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from desertion_data._read import first_day, last_day
from validate.intervals import bounds
from validate.readable import rounding

COLUMNS = (
    "series_id",
    "country",
    "measure",
    "unit",
    "freq",
    "period_start",
    "period_end",
    "best",
    "low",
    "high",
    "best_figure_id",
    "figure_ids",
    "derived_from",
    "n_claims",
    "n_sources",
    "method",
    "notes",
)
PRIMARY_TYPES = ("news", "statute")
COUNTRIES = ("UA", "RU")  # the schema's countries


def claims(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Every figure that can stand in a cell, with its bounds, days, origin and rank terms."""
    f = tables["figures"]
    if f.is_empty():
        return pl.DataFrame()
    lo, hi = bounds(f["value"], f["qualifier"], f["value_high"] if "value_high" in f.columns else None)
    texts = f["value_text"].cast(pl.String).unique().drop_nulls().to_list()
    half = {t: rounding(t) for t in texts}
    r = f["value_text"].cast(pl.String).replace_strict(half, default=0.0, return_dtype=pl.Float64).to_numpy()
    r = np.where(r >= 1, r, 0.0)  # a number written to the unit ('6 988') stands for itself
    s = tables["sources"].select(
        "source_id",
        pl.col("source_type").cast(pl.String),
        pl.col("relays").cast(pl.String),
        pl.coalesce(
            pl.col("published").cast(pl.String), pl.col("published_not_before").cast(pl.String)
        ).alias("published"),
    )
    high = f["value_high"].cast(pl.Float64) if "value_high" in f.columns else pl.lit(None, pl.Float64)
    out = (
        f.select(
            "figure_id",
            "source_id",
            pl.col("country").cast(pl.String),
            pl.col("measure").cast(pl.String),
            pl.col("unit").cast(pl.String),
            pl.col("value").cast(pl.Float64),
            pl.col("qualifier").cast(pl.String),
            pl.col("reporting_body").cast(pl.String)
            if "reporting_body" in f.columns
            else pl.lit(None, pl.String),
            pl.col("disputed").cast(pl.Boolean).fill_null(False),
            pl.col("period_end_stated").cast(pl.Boolean).fill_null(False).alias("stated"),
            start=pl.Series(first_day(f["period_start"].cast(pl.String).to_arrow())),
            end=pl.Series(last_day(f["period_end"].cast(pl.String).to_arrow())),
            high_value=high,
        )
        .with_columns(lo=pl.Series(np.maximum(lo - r, 0)), hi=pl.Series(hi + r))
        .join(s, on="source_id", how="left")
        .filter(pl.col("stated") & pl.col("start").is_not_null() & pl.col("end").is_not_null())
        .filter(pl.col("value").is_not_null() & pl.col("lo").is_not_nan())
    )
    # a figure of an unknown measure or country is a schema or foreign-key error, not a cell
    out = out.filter(pl.col("country").is_in(COUNTRIES))
    m = tables.get("measures")
    if m is not None and not m.is_empty():
        out = out.filter(pl.col("measure").is_in(m["measure"].cast(pl.String).implode()))
    return out.with_columns(
        origin=pl.coalesce("reporting_body", pl.col("relays").str.to_lowercase(), "source_id"),
        primary=pl.col("reporting_body").is_not_null() & pl.col("source_type").is_in(PRIMARY_TYPES),
        best_value=pl.when(pl.col("qualifier") == "range")
        .then((pl.col("value") + pl.col("high_value")) / 2)
        .otherwise(pl.col("value")),
    )


def choose(cell: pl.DataFrame) -> pl.DataFrame:
    """The cell's claims in the order of preference; the first is `best`.

    1. an undisputed claim over a disputed one (a discrepancy questions it);
    2. a stated count over an estimate (qualifier estimate);
    3. the counting body's own figure over relays: attributed to a body (reporting_body) and
       published as news reporting or a statute, over aggregators, state media and political press;
    4. an exact figure over a hedged one ('about', 'more than', a range);
    5. the latest report (counts are revised), then the figure id, so the choice is deterministic.
    """
    return cell.sort(
        [
            pl.col("disputed"),
            pl.col("qualifier") == "estimate",
            ~pl.col("primary"),
            pl.col("qualifier") != "exact",
            pl.col("published").is_null(),
            pl.col("published"),
            "figure_id",
        ],
        descending=[False, False, False, False, False, True, False],
    )


def _why(top: dict, n: int, n_disputed: int) -> str:
    if n == 1:
        return "one claim"
    reasons = ["undisputed" if not top["disputed"] else "every claim is disputed"]
    if top["primary"]:
        reasons.append(f"attributed to {top['reporting_body']} in {top['source_type']}")
    reasons.append("exact" if top["qualifier"] == "exact" else f"hedged ({top['qualifier']})")
    if top["published"]:
        reasons.append(f"published {top['published']}")
    return f"best of {n} claims: " + ", ".join(reasons)


def _iso(day: date, side: str, freq: str) -> str:
    if freq == "year":
        return f"{day.year:04d}"
    if side == "start" and day.day == 1:
        return f"{day.year:04d}-{day.month:02d}"
    if side == "end" and (day + timedelta(days=1)).day == 1:
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def _freq(start: date, end: date) -> str:
    if start == date(start.year, 1, 1) and end == date(start.year, 12, 31):
        return "year"
    if (
        start.day == 1
        and end.year == start.year
        and end.month == start.month
        and (end + timedelta(days=1)).day == 1
    ):
        return "month"
    return "span"


def _num(x: float | None) -> str:
    if x is None or (isinstance(x, float) and (np.isnan(x) or np.isinf(x))):
        return ""
    return f"{x:.0f}" if float(x).is_integer() else f"{x:.6g}"


def _cell_row(country, measure, unit, start, end, **values) -> dict:
    freq = _freq(start, end)
    whole_years = start.month == start.day == 1 and (end.month, end.day) == (12, 31)
    ps, pe = (
        (_iso(start, "start", "year"), _iso(end, "end", "year"))
        if whole_years
        else (
            _iso(start, "start", freq),
            _iso(end, "end", freq),
        )
    )
    sid = f"{country}-{measure}-{ps}" if ps == pe else f"{country}-{measure}-{ps}--{pe}"
    return {
        "series_id": sid,
        "country": country,
        "measure": measure,
        "unit": unit,
        "freq": freq,
        "period_start": ps,
        "period_end": pe,
        "_start": start,
        "_end": end,
    } | values


def stated_cells(c: pl.DataFrame) -> list[dict]:
    """One row per cell that figures state."""
    rows = []
    for (country, measure, start, end), cell in c.group_by(
        ["country", "measure", "start", "end"], maintain_order=True
    ):
        ranked = choose(cell)
        top = ranked.row(0, named=True)
        undisputed = ranked.filter(~pl.col("disputed"))
        env = undisputed if not undisputed.is_empty() else ranked
        low, high = env["lo"].min(), env["hi"].max()
        agree = env["lo"].max() <= env["hi"].min()
        n = ranked.height
        method = "one_claim" if n == 1 else "claims_agree" if agree else "chosen"
        notes = [_why(top, n, n - undisputed.height)]
        if undisputed.height < n and not undisputed.is_empty():
            notes.append(f"{n - undisputed.height} disputed claim(s) left out of the range")
        if np.isinf(high):
            notes.append("no upper bound: a claim says 'more than' or 'at least'")
        if top["qualifier"] == "range":
            notes.append("best is the midpoint of a stated range")
        rows.append(
            _cell_row(
                country,
                measure,
                top["unit"],
                start,
                end,
                best=top["best_value"],
                low=low,
                high=None if np.isinf(high) else high,
                best_figure_id=top["figure_id"],
                figure_ids=" ".join(sorted(ranked["figure_id"].to_list())),
                derived_from="",
                n_claims=n,
                n_sources=ranked["origin"].n_unique(),
                method=method,
                notes="; ".join(notes) + ".",
                _primary=bool(top["primary"] and not top["disputed"]),
                _ok=not top["disputed"],
                _origins=set(ranked["origin"].to_list()),
            )
        )
    return rows


def derived_cells(rows: list[dict], measures: pl.DataFrame) -> list[dict]:
    """Cells derived by difference (cumulative counts sharing a start) and by sum (art. 407 + 408)."""
    have = {(r["country"], r["measure"], r["_start"], r["_end"]) for r in rows}
    out: list[dict] = []
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["_primary"] and r["high"] is not None and r["freq"] != "month":
            groups.setdefault((r["country"], r["measure"], r["_start"]), []).append(r)
    for (country, measure, _), cells in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        cells.sort(key=lambda r: r["_end"])
        for a, b in itertools.pairwise(cells):
            start, end = a["_end"] + timedelta(days=1), b["_end"]
            if (country, measure, start, end) in have:
                continue
            hi = None if b["high"] is None else max(b["high"] - a["low"], 0)
            low = max(b["low"] - (a["high"] if a["high"] is not None else np.inf), 0)
            out.append(
                _cell_row(
                    country,
                    measure,
                    a["unit"],
                    start,
                    end,
                    best=max(b["best"] - a["best"], 0),
                    low=low,
                    high=hi,
                    best_figure_id="",
                    figure_ids="",
                    derived_from=f"{b['best_figure_id']} {a['best_figure_id']}",
                    n_claims=0,
                    n_sources=len(a["_origins"] | b["_origins"]),
                    method="derived_difference",
                    notes=f"derived: {b['period_start']}..{b['period_end']} minus "
                    f"{a['period_start']}..{a['period_end']}, two cumulative counts from the same start; "
                    "no figure states this span.",
                    _primary=False,
                    _ok=False,
                    _origins=a["_origins"] | b["_origins"],
                )
            )
            have.add((country, measure, start, end))
    names = set(measures["measure"].cast(pl.String).to_list()) if not measures.is_empty() else set()
    index = {(r["country"], r["measure"], r["_start"], r["_end"]): r for r in rows}
    for total in sorted(n for n in names if n.startswith("absence_cases")):
        awol, desertion = total.replace("absence_", "awol_", 1), total.replace("absence_", "desertion_", 1)
        if awol not in names or desertion not in names:
            continue
        for (country, measure, start, end), a in sorted(
            index.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2], kv[0][3])
        ):
            d = index.get((country, desertion, start, end))
            if (
                measure != awol
                or d is None
                or (country, total, start, end) in have
                or not (a["_ok"] and d["_ok"])
            ):
                continue
            high = None if a["high"] is None or d["high"] is None else a["high"] + d["high"]
            out.append(
                _cell_row(
                    country,
                    total,
                    a["unit"],
                    start,
                    end,
                    best=a["best"] + d["best"],
                    low=a["low"] + d["low"],
                    high=high,
                    best_figure_id="",
                    figure_ids="",
                    derived_from=" ".join(x for x in (a["best_figure_id"], d["best_figure_id"]) if x),
                    n_claims=0,
                    n_sources=len(a["_origins"] | d["_origins"]),
                    method="derived_sum",
                    notes=f"derived: {awol} plus {desertion} (art. 407 and art. 408 proceedings together); "
                    "no figure states this total.",
                    _primary=False,
                    _ok=False,
                    _origins=a["_origins"] | d["_origins"],
                )
            )
            have.add((country, total, start, end))
    return out


def build(tables: dict[str, pl.DataFrame]) -> list[dict[str, str]]:
    """The series table as rows of text, sorted by country, measure, start and end."""
    c = claims(tables)
    rows = stated_cells(c) if not c.is_empty() else []
    rows += derived_cells(rows, tables.get("measures", pl.DataFrame()))
    rows.sort(key=lambda r: (r["country"], r["measure"], r["_start"], r["_end"]))
    text = []
    for r in rows:
        text.append(
            {
                k: _num(r[k]) if k in ("best", "low", "high") else str(r[k]) if r[k] is not None else ""
                for k in COLUMNS
            }
        )
    return text


def to_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return out.getvalue()


def tables_of(path: Path) -> dict[str, pl.DataFrame]:
    from validate.package import read_package

    pkg = read_package(path)
    return {name: pkg.frame(name) for name in ("figures", "sources", "measures")}


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "datapackage.json")
    out = path.parent / "data" / "series.csv"
    out.write_text(to_csv(build(tables_of(path))), encoding="utf-8")
    print(f"{out}: written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
