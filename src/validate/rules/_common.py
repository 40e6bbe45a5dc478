"""What the rules share: the figures with their bounds and days, the parent lookup, number
formatting, and `violations`, the one loop from a table's bad rows to violations keyed by its
primary key.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import polars as pl

from desertion_data._read import first_day, last_day
from validate.intervals import bounds
from validate.package import Package
from validate.readable import rounding
from validate.report import Violation, error

FIG = "figures"
ROW = "_i"  # the column that carries a row's position in its table

Message = str | Callable[[dict[str, Any]], str]


def violations(
    pkg: Package,
    rule: str,
    resource: str,
    bad: pl.Series | pl.DataFrame,
    fields: str,
    message: Message,
    severity: Callable[..., Violation] = error,
) -> list[Violation]:
    """One violation per bad row of a table, keyed by the row's primary key (never a position).

    `bad` is a boolean mask over the table's rows (null counts as good), or a frame of its bad
    rows that carries each row's position in the table in the column `_i`. `message` is a template
    filled from the row's columns ('unit {unit} differs from {unit_p}'), or a function of the row
    (a dict) where the words need more than a template.
    """
    table = pkg.tables[resource]
    rows = table.frame.with_row_index(ROW).filter(bad.fill_null(False)) if isinstance(bad, pl.Series) else bad
    if rows.is_empty():
        return []
    keys = table.keys.gather(rows[ROW]).to_list()
    text = message.format_map if isinstance(message, str) else message
    return [
        severity(rule, resource, key, fields, text(row))
        for key, row in zip(keys, rows.iter_rows(named=True), strict=True)
    ]


def days(pkg: Package, table: str, col: str, side: str) -> pl.Series:
    """First or last day of each reduced-precision date in a column (null where none); cached."""
    if (table, col, side) not in pkg.cache:
        arrow = pkg.frame(table)[col].cast(pl.String).to_arrow()
        day = first_day(arrow) if side == "first" else last_day(arrow)
        pkg.cache[(table, col, side)] = pl.Series(col, day)
    return pkg.cache[(table, col, side)]


def figure_frame(pkg: Package) -> pl.DataFrame:
    """Figures with their position `_i`, bounds [lo, hi] and period days (start, end, end_first); cached."""
    if FIG not in pkg.cache:
        f = pkg.frame(FIG)
        lo, hi = bounds(f["value"], f["qualifier"], f["value_high"] if "value_high" in f.columns else None)
        pkg.cache[FIG] = f.with_columns(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(ROW),
            lo=pl.Series(lo),
            hi=pl.Series(hi),
            start=days(pkg, FIG, "period_start", "first"),
            end=days(pkg, FIG, "period_end", "last"),
            end_first=days(pkg, FIG, "period_end", "first"),
        )
    return pkg.cache[FIG]


def parent_index(pkg: Package) -> pl.Series:
    """Row position of each figure's parent (null where it has none or names no figure); cached.

    The one lookup of figure ids: the parent rules, the cycle check and the self-referencing foreign
    key all work from these positions.
    """
    if "parent_index" not in pkg.cache:
        f = pkg.frame(FIG)
        ids, parents = f["figure_id"], f["parent_figure_id"]
        # a binary search among the sorted ids: a hash join on a million strings needs several
        # hundred MB; a stable sort keeps the first of repeated ids, as a lookup would
        order = f.select(pl.arg_sort_by("figure_id", maintain_order=True, nulls_last=True)).to_series()
        ordered = ids.gather(order)
        at = ordered.search_sorted(parents, side="left")
        at = pl.select(pl.when(at < len(ids)).then(at)).to_series()
        found = (ordered.gather(at) == parents).fill_null(False)
        pkg.cache["parent_index"] = pl.select(
            pl.when(found).then(order.gather(at)).cast(pl.Int64)
        ).to_series()
    return pkg.cache["parent_index"]


def with_parent(pkg: Package, *cols: str, child: tuple[str, ...] = ()) -> pl.DataFrame:
    """Each figure that has a parent: its position `_i`, its own `cols` and `child` columns, and its
    parent's `cols` (suffixed '_p'). Built per call from parent_index, with only the columns asked for."""
    f = figure_frame(pkg)
    p = parent_index(pkg)
    has = p.is_not_null()
    at = p.filter(has)
    own = list(dict.fromkeys([ROW, "figure_id", "parent_figure_id", *cols, *child]))
    return f.select(own).filter(has).hstack([f[c].gather(at).alias(f"{c}_p") for c in cols])


def with_rounding(f: pl.DataFrame) -> pl.DataFrame:
    """The figures' bounds widened by the rounding their written form implies (readable.rounding)."""
    texts = f["value_text"].unique().drop_nulls().to_list()
    half = {t: rounding(t) for t in texts}
    r = pl.col("value_text").replace_strict(half, default=0.0, return_dtype=pl.Float64)
    return f.with_columns(lo_r=pl.col("lo") - r, hi_r=pl.col("hi") + r)


def fmt(x: float) -> str:
    """A bound as a reader would write it: thousands separated, six significant digits, 'inf'."""
    return "inf" if math.isinf(x) else f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"
