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
import sys
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


RANK = ("disputed", "estimate", "relayed", "hedged", "undated", "published", "figure_id")


def choose(claims: pl.DataFrame, by: list[str] | None = None) -> pl.DataFrame:
    """The claims in the order of preference (within each cell of `by`); the first is `best`.

    1. an undisputed claim over a disputed one (a discrepancy questions it);
    2. a stated count over an estimate (qualifier estimate);
    3. the counting body's own figure over relays: attributed to a body (reporting_body) and
       published as news reporting or a statute, over aggregators, state media and political press;
    4. an exact figure over a hedged one ('about', 'more than', a range);
    5. the latest report (counts are revised), then the figure id, so the choice is deterministic.
    """
    by = by or []
    ranked = claims.with_columns(
        estimate=pl.col("qualifier") == "estimate",
        relayed=~pl.col("primary"),
        hedged=pl.col("qualifier") != "exact",
        undated=pl.col("published").is_null(),
    )
    order = [*by, *RANK]
    return ranked.sort(
        order, descending=[False] * len(by) + [False, False, False, False, False, True, False]
    ).drop("estimate", "relayed", "hedged", "undated")


CELL = ["country", "measure", "start", "end"]


def _periods(frame: pl.DataFrame) -> pl.DataFrame:
    """freq, period_start, period_end (reduced ISO) and series_id from the days start and end."""
    start, end = pl.col("start"), pl.col("end")
    year_start = (start.dt.month() == 1) & (start.dt.day() == 1)
    year_end = (end.dt.month() == 12) & (end.dt.day() == 31)
    whole_month_end = end == end.dt.month_end()
    freq = (
        pl.when(year_start & year_end & (start.dt.year() == end.dt.year()))
        .then(pl.lit("year"))
        .when((start.dt.day() == 1) & whole_month_end & (start.dt.truncate("1mo") == end.dt.truncate("1mo")))
        .then(pl.lit("month"))
        .otherwise(pl.lit("span"))
    )
    ps = (
        pl.when(year_start & year_end)
        .then(start.dt.strftime("%Y"))
        .when(start.dt.day() == 1)
        .then(start.dt.strftime("%Y-%m"))
        .otherwise(start.dt.strftime("%Y-%m-%d"))
    )
    pe = (
        pl.when(year_start & year_end)
        .then(end.dt.strftime("%Y"))
        .when(whole_month_end)
        .then(end.dt.strftime("%Y-%m"))
        .otherwise(end.dt.strftime("%Y-%m-%d"))
    )
    frame = frame.with_columns(freq=freq, period_start=ps, period_end=pe)
    head = pl.concat_str(["country", pl.lit("-"), "measure", pl.lit("-"), "period_start"])
    sid = (
        pl.when(pl.col("period_start") == pl.col("period_end"))
        .then(head)
        .otherwise(pl.concat_str([head, pl.lit("--"), "period_end"]))
    )
    return frame.with_columns(series_id=sid)


def stated_cells(c: pl.DataFrame) -> pl.DataFrame:
    """One row per cell that figures state: best by `choose`, the envelope of undisputed bounds."""
    ranked = choose(c, CELL)
    u = ~pl.col("disputed")
    # most cells hold one claim: those need no grouping (a group-by with list aggregations per cell
    # costs seconds at a million cells)
    ranked = ranked.with_columns(_n=pl.len().over(CELL))
    single = ranked.filter(pl.col("_n") == 1)
    ranked = ranked.filter(pl.col("_n") > 1)
    lone = single.select(
        *CELL,
        "unit",
        pl.col("best_value").alias("best"),
        pl.col("figure_id").alias("best_figure_id"),
        pl.col("qualifier").alias("_q"),
        pl.col("disputed").alias("_disputed"),
        pl.col("primary").alias("_primary"),
        pl.col("reporting_body").alias("_body"),
        pl.col("source_type").alias("_type"),
        pl.col("published").alias("_published"),
        pl.lit(1, pl.UInt32).alias("n_claims"),
        pl.concat_list("origin").alias("_origins"),
        pl.col("figure_id").alias("figure_ids"),
        u.cast(pl.UInt32).alias("_n_u"),
        pl.when(u).then(pl.col("lo")).alias("_lo_u"),
        pl.when(u).then(pl.col("hi")).alias("_hi_u"),
        pl.when(u).then(pl.col("lo")).alias("_maxlo_u"),
        pl.when(u).then(pl.col("hi")).alias("_minhi_u"),
        pl.col("lo").alias("_lo_a"),
        pl.col("hi").alias("_hi_a"),
        pl.col("lo").alias("_maxlo_a"),
        pl.col("hi").alias("_minhi_a"),
    )
    cells = ranked.group_by(CELL, maintain_order=True).agg(
        pl.col("unit").first(),
        pl.col("best_value").first().alias("best"),
        pl.col("figure_id").first().alias("best_figure_id"),
        pl.col("qualifier").first().alias("_q"),
        pl.col("disputed").first().alias("_disputed"),
        pl.col("primary").first().alias("_primary"),
        pl.col("reporting_body").first().alias("_body"),
        pl.col("source_type").first().alias("_type"),
        pl.col("published").first().alias("_published"),
        pl.len().alias("n_claims"),
        pl.col("origin").unique().alias("_origins"),
        pl.col("figure_id").sort().str.join(" ").alias("figure_ids"),
        u.sum().alias("_n_u"),
        pl.col("lo").filter(u).min().alias("_lo_u"),
        pl.col("hi").filter(u).max().alias("_hi_u"),
        pl.col("lo").filter(u).max().alias("_maxlo_u"),
        pl.col("hi").filter(u).min().alias("_minhi_u"),
        pl.col("lo").min().alias("_lo_a"),
        pl.col("hi").max().alias("_hi_a"),
        pl.col("lo").max().alias("_maxlo_a"),
        pl.col("hi").min().alias("_minhi_a"),
    )
    cells = pl.concat([lone, cells], how="vertical_relaxed").sort(CELL)
    some = pl.col("_n_u") > 0
    pick = lambda a, b: pl.when(some).then(pl.col(a)).otherwise(pl.col(b))  # noqa: E731
    cells = cells.with_columns(
        low=pick("_lo_u", "_lo_a"),
        _high=pick("_hi_u", "_hi_a"),
        _agree=pick("_maxlo_u", "_maxlo_a") <= pick("_minhi_u", "_minhi_a"),
        n_sources=pl.col("_origins").list.len(),
    )
    n = pl.col("n_claims")
    why = pl.concat_str(
        [
            pl.lit("best of "),
            n.cast(pl.String),
            pl.lit(" claims: "),
            pl.when(pl.col("_disputed"))
            .then(pl.lit("every claim is disputed"))
            .otherwise(pl.lit("undisputed")),
            pl.when(pl.col("_primary"))
            .then(pl.concat_str([pl.lit(", attributed to "), "_body", pl.lit(" in "), "_type"]))
            .otherwise(pl.lit("")),
            pl.when(pl.col("_q") == "exact")
            .then(pl.lit(", exact"))
            .otherwise(pl.concat_str([pl.lit(", hedged ("), "_q", pl.lit(")")])),
            pl.when(pl.col("_published").is_not_null())
            .then(pl.concat_str([pl.lit(", published "), "_published"]))
            .otherwise(pl.lit("")),
        ]
    )
    notes = pl.concat_str(
        [
            pl.when(n == 1).then(pl.lit("one claim")).otherwise(why),
            pl.when(some & (pl.col("_n_u") < n))
            .then(
                pl.concat_str(
                    [
                        pl.lit("; "),
                        (n - pl.col("_n_u")).cast(pl.String),
                        pl.lit(" disputed claim(s) left out of the range"),
                    ]
                )
            )
            .otherwise(pl.lit("")),
            pl.when(pl.col("_high").is_infinite())
            .then(pl.lit("; no upper bound: a claim says 'more than' or 'at least'"))
            .otherwise(pl.lit("")),
            pl.when(pl.col("_q") == "range")
            .then(pl.lit("; best is the midpoint of a stated range"))
            .otherwise(pl.lit("")),
            pl.lit("."),
        ]
    )
    cells = cells.with_columns(
        high=pl.when(pl.col("_high").is_infinite()).then(None).otherwise(pl.col("_high")),
        method=pl.when(n == 1)
        .then(pl.lit("one_claim"))
        .when(pl.col("_agree"))
        .then(pl.lit("claims_agree"))
        .otherwise(pl.lit("chosen")),
        notes=notes,
        derived_from=pl.lit(""),
        _ok=~pl.col("_disputed"),
    )
    return _periods(cells)


def derived_cells(cells: pl.DataFrame, measures: pl.DataFrame) -> pl.DataFrame:
    """Cells derived by difference (cumulative counts sharing a start) and by sum (art. 407 + 408)."""
    keep = [
        "country",
        "measure",
        "start",
        "end",
        "unit",
        "best",
        "low",
        "high",
        "best_figure_id",
        "period_start",
        "period_end",
        "_origins",
        "_ok",
    ]
    if cells.is_empty():
        return cells
    # by difference: consecutive ends of primary, undisputed, bounded cells from one start
    group = ["country", "measure", "start"]
    elig = cells.filter(
        pl.col("_primary") & pl.col("_ok") & pl.col("high").is_not_null() & (pl.col("freq") != "month")
    )
    elig = elig.select(keep).sort([*group, "end"])
    prev = elig.with_columns(pl.all().exclude(group).shift(1).over(group).name.prefix("a_")).filter(
        pl.col("a_end").is_not_null()
    )
    diff = prev.select(
        "country",
        "measure",
        "unit",
        (pl.col("a_end") + pl.duration(days=1)).alias("start"),
        "end",
        pl.max_horizontal(pl.col("best") - pl.col("a_best"), pl.lit(0.0)).alias("best"),
        pl.max_horizontal(pl.col("low") - pl.col("a_high"), pl.lit(0.0)).alias("low"),
        pl.max_horizontal(pl.col("high") - pl.col("a_low"), pl.lit(0.0)).alias("high"),
        pl.concat_str(["best_figure_id", pl.lit(" "), "a_best_figure_id"]).alias("derived_from"),
        pl.concat_list(["_origins", "a__origins"]).list.unique().alias("_origins"),
        pl.concat_str(
            [
                pl.lit("derived: "),
                "period_start",
                pl.lit(".."),
                "period_end",
                pl.lit(" minus "),
                "a_period_start",
                pl.lit(".."),
                "a_period_end",
                pl.lit(", two cumulative counts from the same start; no figure states this span."),
            ]
        ).alias("notes"),
        pl.lit("derived_difference").alias("method"),
    )
    have = cells.select(CELL)
    diff = diff.join(have, on=CELL, how="anti").unique(CELL, keep="first", maintain_order=True)
    have = pl.concat([have, diff.select(CELL)])
    # by sum: AWOL plus desertion proceedings for a period with no total
    names = set(measures["measure"].cast(pl.String).to_list()) if not measures.is_empty() else set()
    sums = []
    ok = cells.filter(pl.col("_ok")).select(keep)
    for total in sorted(n for n in names if n.startswith("absence_cases")):
        awol, desertion = total.replace("absence_", "awol_", 1), total.replace("absence_", "desertion_", 1)
        if awol not in names or desertion not in names:
            continue
        a = ok.filter(pl.col("measure") == awol)
        d = ok.filter(pl.col("measure") == desertion)
        both = a.join(d, on=["country", "start", "end"], suffix="_d")
        sums.append(
            both.select(
                "country",
                pl.lit(total).alias("measure"),
                "unit",
                "start",
                "end",
                (pl.col("best") + pl.col("best_d")).alias("best"),
                (pl.col("low") + pl.col("low_d")).alias("low"),
                (pl.col("high") + pl.col("high_d")).alias("high"),
                pl.concat_str(["best_figure_id", pl.lit(" "), "best_figure_id_d"]).alias("derived_from"),
                pl.concat_list(["_origins", "_origins_d"]).list.unique().alias("_origins"),
                pl.lit(
                    f"derived: {awol} plus {desertion} (art. 407 and art. 408 proceedings together); "
                    "no figure states this total."
                ).alias("notes"),
                pl.lit("derived_sum").alias("method"),
            ).join(have, on=CELL, how="anti")
        )
    out = pl.concat([diff, *sums], how="diagonal_relaxed") if sums else diff
    out = out.with_columns(
        best_figure_id=pl.lit(""),
        figure_ids=pl.lit(""),
        n_claims=pl.lit(0, pl.UInt32),
        n_sources=pl.col("_origins").list.len(),
    )
    return _periods(out)


def _text(x: pl.Expr) -> pl.Expr:
    """A number as the package writes it: integers without '.0', others to six significant digits
    (and then without '.0' when that makes them whole: 8449.999999 is 8450)."""
    r = x.round_sig_figs(6)
    return (
        pl.when(x.is_null() | x.is_infinite())
        .then(pl.lit(""))
        .when(x == x.round(0))
        .then(x.cast(pl.Int64).cast(pl.String))
        .when(r == r.round(0))
        .then(r.cast(pl.Int64).cast(pl.String))
        .otherwise(r.cast(pl.String))
    )


def build_frame(tables: dict[str, pl.DataFrame], c: pl.DataFrame | None = None) -> pl.DataFrame:
    """The series table as text columns, sorted by country, measure, start and end (`c`: the
    claims, where already read)."""
    c = claims(tables) if c is None else c
    if c.is_empty():
        return pl.DataFrame(schema={k: pl.String for k in COLUMNS})
    cells = stated_cells(c)
    derived = derived_cells(cells, tables.get("measures", pl.DataFrame()))
    both = pl.concat([cells, derived], how="diagonal_relaxed").sort(CELL)
    return both.select(
        *(
            _text(pl.col(k).cast(pl.Float64)).alias(k)
            if k in ("best", "low", "high")
            else pl.col(k).cast(pl.String).fill_null("").alias(k)
            for k in COLUMNS
        )
    )


def build(tables: dict[str, pl.DataFrame]) -> list[dict[str, str]]:
    """The series table as rows of text (see build_frame)."""
    return build_frame(tables).to_dicts()


def to_csv(rows: list[dict[str, str]] | pl.DataFrame) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows.iter_rows(named=True) if isinstance(rows, pl.DataFrame) else rows)
    return out.getvalue()


def tables_of(path: Path) -> dict[str, pl.DataFrame]:
    from validate.package import read_package

    pkg = read_package(path)
    return {name: pkg.frame(name) for name in ("figures", "sources", "measures")}


def main(argv: list[str]) -> int:
    path = Path(argv[0] if argv else "datapackage.json")
    out = path.parent / "data" / "series.csv"
    out.write_text(to_csv(build_frame(tables_of(path))), encoding="utf-8")
    print(f"{out}: written")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
