"""Rules on the series table (validate.series builds it from the claims; these check what is committed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from desertion_data._read import first_day, last_day
from validate.package import Package
from validate.report import Violation, error, warning
from validate.series import COLUMNS, _text, build_frame, claims

SERIES = "series"


def _has_series(pkg: Package) -> bool:
    return SERIES in pkg.tables and "series_id" in pkg.frame(SERIES).columns


def _claims(pkg: Package) -> pl.DataFrame:
    """The claims as the series reads them (validate.series.claims), computed once per run."""
    if "series_claims" not in pkg.cache:
        pkg.cache["series_claims"] = claims({n: pkg.frame(n) for n in ("figures", "sources", "measures")})
    return pkg.cache["series_claims"]


def series_current(pkg: Package) -> Iterable[Violation]:
    """The series table is the one the claims give: a fresh build equals the committed table.

    validate.series.build runs on the package's figures, sources and measures; every series_id
    added, missing or with a different cell is reported. Fix: `nox -s series`, never a hand edit.
    """
    if not _has_series(pkg):
        return []
    fresh = build_frame({n: pkg.frame(n) for n in ("figures", "sources", "measures")}, _claims(pkg))
    committed = pkg.frame(SERIES)
    # the committed cells written as the build writes them, so that both compare as text
    have = committed.select(
        *(
            _text(pl.col(k).cast(pl.Float64)).alias(k)
            if k in ("best", "low", "high")
            else pl.col(k).cast(pl.String).fill_null("").alias(k)
            for k in COLUMNS
            if k in committed.columns
        )
    )
    both = fresh.join(have, on="series_id", how="full", suffix="_c", coalesce=True, nulls_equal=True)
    cols = [k for k in COLUMNS if k != "series_id" and k in have.columns]
    out = []
    missing = both.filter(pl.col(f"{cols[0]}_c").is_null() if cols else pl.lit(False))
    extra = both.filter(pl.col(cols[0]).is_null() if cols else pl.lit(False))
    for sid in missing["series_id"].to_list():
        out.append(
            error(
                "series_current", SERIES, sid, "series_id", "a fresh build has this cell; run `nox -s series`"
            )
        )
    for sid in extra["series_id"].to_list():
        out.append(
            error("series_current", SERIES, sid, "series_id", "no claim gives this cell; run `nox -s series`")
        )
    common = (
        both.filter(pl.col(cols[0]).is_not_null() & pl.col(f"{cols[0]}_c").is_not_null()) if cols else both
    )
    differs = common.select("series_id", *(pl.col(k) != pl.col(f"{k}_c") for k in cols))
    differs = differs.filter(pl.any_horizontal(cols))
    for row in differs.iter_rows(named=True):
        diff = [k for k in cols if row[k]]
        message = f"differs from a fresh build in {', '.join(diff)}; run `nox -s series`"
        out.append(error("series_current", SERIES, row["series_id"], diff, message))
    return sorted(out, key=lambda v: v.key)


def series_bounds_ordered(pkg: Package) -> Iterable[Violation]:
    """A cell's best value lies within its range: low <= best <= high (an empty high is no bound)."""
    if not _has_series(pkg):
        return []
    s = pkg.frame(SERIES)
    bad = s.filter(
        (pl.col("low") > pl.col("best")) | (pl.col("high").is_not_null() & (pl.col("best") > pl.col("high")))
    )
    return [
        error(
            "series_bounds_ordered",
            SERIES,
            r["series_id"],
            "low,best,high",
            f"{r['low']} <= {r['best']} <= {r['high']} does not hold",
        )
        for r in bad.iter_rows(named=True)
    ]


def series_claims_within(pkg: Package) -> Iterable[Violation]:
    """Every undisputed claim on a cell overlaps the cell's range, and best comes from its claims.

    Each figure in figure_ids is read with its bounds as the series computes them; an undisputed
    one whose [lo, hi] misses [low, high] means the range hides a claim. best_figure_id, where
    given, must be one of figure_ids.
    """
    if not _has_series(pkg):
        return []
    c = _claims(pkg)
    s = pkg.frame(SERIES).select(
        pl.col("series_id").cast(pl.String),
        pl.col("best_figure_id").cast(pl.String),
        pl.col("figure_ids").cast(pl.String).fill_null("").str.split(" ").alias("ids"),
        pl.col("low").cast(pl.Float64),
        pl.col("high").cast(pl.Float64).fill_null(float("inf")),
    )
    out = []
    best_in = s.filter(
        pl.col("best_figure_id").is_not_null() & ~pl.col("ids").list.contains(pl.col("best_figure_id"))
    )
    for sid in best_in["series_id"].to_list():
        out.append(error("series_claims_within", SERIES, sid, "best_figure_id", "is not among figure_ids"))
    listed = s.explode("ids").filter(pl.col("ids") != "").rename({"ids": "figure_id"})
    known = (
        c.select("figure_id", "lo", "hi", "disputed")
        if not c.is_empty()
        else pl.DataFrame(
            schema={"figure_id": pl.String, "lo": pl.Float64, "hi": pl.Float64, "disputed": pl.Boolean}
        )
    )
    joined = listed.join(known, on="figure_id", how="left")
    for sid, fid in joined.filter(pl.col("lo").is_null()).select("series_id", "figure_id").iter_rows():
        out.append(
            error(
                "series_claims_within",
                SERIES,
                sid,
                "figure_ids",
                f"{fid} is not a claim with a stated period",
            )
        )
    outside = joined.filter(
        pl.col("lo").is_not_null()
        & ~pl.col("disputed")
        & ((pl.col("hi") < pl.col("low")) | (pl.col("lo") > pl.col("high")))
    )
    for r in outside.iter_rows(named=True):
        out.append(
            error(
                "series_claims_within",
                SERIES,
                r["series_id"],
                "low,high",
                f"{r['figure_id']} ({r['lo']:g}..{r['hi']:g}) lies outside {r['low']:g}..{r['high']:g}",
            )
        )
    return out


def series_years_agree(pkg: Package) -> Iterable[Violation]:
    """Where every year of a span has a yearly cell, the years add up to the span, within bounds.

    For a cell spanning whole calendar years (2022-2024), with a yearly cell of the same country
    and measure for each of its years: the sum of the yearly [low, high] must overlap the span's
    [low, high]. A warning: sources may count years and totals differently (each such case needs
    a discrepancy).
    """
    if not _has_series(pkg):
        return []
    s = pkg.frame(SERIES)
    start = pl.Series(first_day(s["period_start"].cast(pl.String).to_arrow()))
    end = pl.Series(last_day(s["period_end"].cast(pl.String).to_arrow()))
    s = s.with_columns(_start=start, _end=end)
    years = {
        (r["country"], r["measure"], r["_start"].year): r
        for r in s.filter(pl.col("freq") == "year").iter_rows(named=True)
    }
    out = []
    spans = s.filter(
        (pl.col("freq") == "span")
        & (pl.col("_start").dt.month() == 1)
        & (pl.col("_start").dt.day() == 1)
        & (pl.col("_end").dt.month() == 12)
        & (pl.col("_end").dt.day() == 31)
        & (pl.col("_end").dt.year() > pl.col("_start").dt.year())
    )
    for r in spans.iter_rows(named=True):
        a, b = r["_start"], r["_end"]
        if a != date(a.year, 1, 1) or b != date(b.year, 12, 31) or a.year == b.year:
            continue
        parts = [years.get((r["country"], r["measure"], y)) for y in range(a.year, b.year + 1)]
        if any(p is None for p in parts):
            continue
        lo = sum(p["low"] for p in parts)
        hi = float("inf") if any(p["high"] is None for p in parts) else sum(p["high"] for p in parts)
        high = float("inf") if r["high"] is None else r["high"]
        if hi < r["low"] or lo > high:
            out.append(
                warning(
                    "series_years_agree",
                    SERIES,
                    r["series_id"],
                    "low,high",
                    f"its years add up to {lo:g}..{hi:g}, outside its own {r['low']:g}..{high:g}",
                )
            )
    return out
