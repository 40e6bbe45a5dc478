"""Rules about periods and dates: a period runs forwards, ends by its source's publication, a count
from a fixed start does not fall, and a stated end is written down."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from validate.package import Package
from validate.report import Violation
from validate.rules._common import FIG, ROW, days, figure_frame, fmt, violations


def period_ordered(pkg: Package) -> Iterable[Violation]:
    """Periods run forwards and end by the time their source was published.

    Figures: period_start (first day) <= period_end (last day), and period_end (its first day)
    is not after the source's `published` (its last day), when known. Penalties:
    effective_from <= effective_to on the same reading.
    """
    f = figure_frame(pkg)
    out = violations(
        pkg,
        "period_ordered",
        FIG,
        f.filter(pl.col("start") > pl.col("end")),
        "period_start,period_end",
        "starts {period_start} after it ends {period_end}",
    )
    sources = pkg.frame("sources")
    if "published" in sources.columns:
        last = days(pkg, "sources", "published", "last")
        published = dict(zip(sources["source_id"], sources["published"], strict=True))
        limit = dict(zip(sources["source_id"], last, strict=True))
        late = f.select(ROW, "source_id", "period_end", "end_first").filter(
            pl.col("end_first")
            > pl.col("source_id").replace_strict(limit, default=None, return_dtype=pl.Date)
        )
        out += violations(
            pkg,
            "period_ordered",
            FIG,
            late,
            "period_end",
            lambda r: f"ends {r['period_end']}, after its source was published ({published[r['source_id']]})",
        )
    p = pkg.frame("penalties")
    if {"effective_from", "effective_to"} <= set(p.columns):
        out += violations(
            pkg,
            "period_ordered",
            "penalties",
            days(pkg, "penalties", "effective_from", "first")
            > days(pkg, "penalties", "effective_to", "last"),
            "effective_from,effective_to",
            "effective from {effective_from} after effective to {effective_to}",
        )
    return out


COUNT_UNITS = ("cases", "convictions", "desertions", "persons", "appeals", "requests", "documents")


def cumulative_nondecreasing(pkg: Package) -> Iterable[Violation]:
    """A count from a fixed start never falls as its end date advances.

    Among figures of one country and measure counted from the same start (same first day), across
    sources, a figure whose stated end is later than another's end may not have a highest possible
    value below that one's lowest possible value. A later figure whose end is only our upper bound
    (period_end_stated false) is not compared, since its real end may be earlier. Only counts
    accumulate (units in COUNT_UNITS): a rate, share or growth factor may fall.
    """
    group = ["country", "measure", "scope", "start"]
    base = figure_frame(pkg)
    # rows keep their positions (violations are keyed by position): a non-count gets no bounds
    counts = pl.col("unit").cast(pl.String).is_in(COUNT_UNITS)
    base = base.with_columns(lo=pl.when(counts).then("lo").otherwise(float("nan")))
    # numbers only, with each group as one 64-bit hash of its four keys: sorting and joining text
    # keys for a million rows costs hundreds of MB. A hash shared by two groups can only raise the
    # running maximum, so every true violation is among the candidates, each then checked exactly.
    f = (
        base.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("i"),
            pl.struct(group).hash().alias("g"),
            "period_end_stated",
            "lo",
            "hi",
            "end",
            "end_first",
        )
        .filter(base["start"].is_not_null() & base["end"].is_not_null() & base["lo"].is_not_nan())
        .filter(pl.len().over("g") > 1)
    )
    earlier = f.sort(["g", "end"]).select(
        "g", pl.col("end").alias("at"), pl.col("lo").cum_max().over("g").alias("best")
    )
    later = (
        f.filter(pl.col("period_end_stated"))
        .with_columns(at=(pl.col("end_first") - pl.duration(days=1)))
        .sort(["g", "at"])
    )
    j = later.join_asof(earlier, on="at", by="g", strategy="backward", check_sortedness=False)
    candidates = j.filter(pl.col("hi") < pl.col("best"))
    if candidates.is_empty():
        return []
    # confirm on the exact groups of the rows that share a candidate's hash (few, unless the package
    # is full of falls): the same running maximum, now also naming the figure that holds it (the
    # first by row among those at the maximum)
    near = f.filter(pl.col("g").is_in(candidates["g"].unique().implode()))
    near = near.hstack(base.select(group)[near["i"]])
    exact = near.select(group).unique(maintain_order=True).with_row_index("x")
    near = near.join(exact, on=group, how="left", nulls_equal=True).drop(group)
    x = pl.col("x")
    earlier = (
        near.sort("x", "end", "i")
        .with_columns(best=pl.col("lo").cum_max().over(x))
        .with_columns(plateau=(pl.col("best") != pl.col("best").shift(1)).fill_null(True).cum_sum().over(x))
        .select(
            "x",
            pl.col("end").alias("at"),
            "best",
            pl.when(pl.col("lo") == pl.col("best"))
            .then("i")
            .cum_min()
            .forward_fill()
            .over("x", "plateau")
            .alias("holder"),
        )
    )
    later = (
        near.filter(pl.col("period_end_stated"))
        .with_columns(at=(pl.col("end_first") - pl.duration(days=1)))
        .sort("x", "at")
    )
    falls = (
        later.join_asof(earlier, on="at", by="x", strategy="backward", check_sortedness=False)
        .filter(pl.col("hi") < pl.col("best"))
        .select(pl.col("i").alias(ROW), "hi", "best", "holder")
        .sort(ROW)
    )
    names = base.select("figure_id", "period_end")
    falls = falls.hstack(names[falls[ROW]]).hstack(names[falls["holder"]].rename(lambda c: f"{c}_a"))
    return violations(
        pkg,
        "cumulative_nondecreasing",
        FIG,
        falls,
        "value,period_end",
        lambda r: (
            f"at most {fmt(r['hi'])} to {r['period_end']}, below {r['figure_id_a']} "
            f"(at least {fmt(r['best'])} to {r['period_end_a']}) counted from the same start"
        ),
    )


def period_end_stated_dated(pkg: Package) -> Iterable[Violation]:
    """A period whose end the source states has that end recorded.

    period_end_stated true with an empty period_end contradicts itself: either the source states
    the end (write it) or it does not (period_end_stated false, and period_end our bound).
    """
    f = pkg.frame(FIG)
    return violations(
        pkg,
        "period_end_stated_dated",
        FIG,
        f["period_end_stated"].cast(pl.Boolean) & f["period_end"].is_null(),
        "period_end_stated,period_end",
        "says the source states the end of the period, but period_end is empty",
    )
