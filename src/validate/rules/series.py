"""Rules on the series table (validate.series builds it from the claims; these check what is committed)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl

from desertion_data._read import first_day, last_day
from validate.package import Package
from validate.report import Violation, error, warning
from validate.series import build, claims

SERIES = "series"


def _has_series(pkg: Package) -> bool:
    return SERIES in pkg.tables and "series_id" in pkg.frame(SERIES).columns


def series_current(pkg: Package) -> Iterable[Violation]:
    """The series table is the one the claims give: a fresh build equals the committed table.

    validate.series.build runs on the package's figures, sources and measures; every series_id
    added, missing or with a different cell is reported. Fix: `nox -s series`, never a hand edit.
    """
    if not _has_series(pkg):
        return []
    fresh = {r["series_id"]: r for r in build({n: pkg.frame(n) for n in ("figures", "sources", "measures")})}
    committed = pkg.frame(SERIES).cast(pl.String)
    have = {r["series_id"]: r for r in committed.iter_rows(named=True)}
    out = []
    for sid in sorted(set(fresh) | set(have)):
        if sid not in have or sid not in fresh:
            what = "a fresh build has this cell" if sid not in have else "no claim gives this cell"
            out.append(error("series_current", SERIES, sid, "series_id", f"{what}; run `nox -s series`"))
            continue
        diff = [
            c for c, v in fresh[sid].items() if (have[sid].get(c) or "") != _canon(c, v, have[sid].get(c))
        ]
        if diff:
            message = f"differs from a fresh build in {', '.join(diff)}; run `nox -s series`"
            out.append(error("series_current", SERIES, sid, diff, message))
    return out


def _canon(col: str, fresh: str, committed: str | None) -> str:
    """The fresh cell as the committed one would read after typing (numbers compare as numbers)."""
    if committed and fresh and col in ("best", "low", "high", "n_claims", "n_sources"):
        try:
            return committed if float(committed) == float(fresh) else fresh
        except ValueError:
            return fresh
    return fresh


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
    c = claims({n: pkg.frame(n) for n in ("figures", "sources", "measures")})
    if c.is_empty():
        return []
    by_id = {r["figure_id"]: r for r in c.select("figure_id", "lo", "hi", "disputed").iter_rows(named=True)}
    out = []
    for r in pkg.frame(SERIES).iter_rows(named=True):
        ids = (r["figure_ids"] or "").split()
        if r["best_figure_id"] and r["best_figure_id"] not in ids:
            out.append(
                error(
                    "series_claims_within",
                    SERIES,
                    r["series_id"],
                    "best_figure_id",
                    "is not among figure_ids",
                )
            )
        high = float("inf") if r["high"] is None else r["high"]
        for fid in ids:
            claim = by_id.get(fid)
            if claim is None:
                out.append(
                    error(
                        "series_claims_within",
                        SERIES,
                        r["series_id"],
                        "figure_ids",
                        f"{fid} is not a claim with a stated period",
                    )
                )
            elif not claim["disputed"] and (claim["hi"] < r["low"] or claim["lo"] > high):
                out.append(
                    error(
                        "series_claims_within",
                        SERIES,
                        r["series_id"],
                        "low,high",
                        f"{fid} ({claim['lo']:g}..{claim['hi']:g}) lies outside {r['low']:g}..{high:g}",
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
    for r in s.filter(pl.col("freq") == "span").iter_rows(named=True):
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
