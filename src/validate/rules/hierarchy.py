"""Rules about parts and totals: a figure's parent_figure_id, what the part may say beside its
total, and the parts a total is declared split into."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl

from validate.package import Package
from validate.report import Violation, warning
from validate.rules._common import (
    FIG,
    ROW,
    figure_frame,
    fmt,
    parent_index,
    violations,
    with_parent,
    with_rounding,
)


def subset_within_total(pkg: Package) -> Iterable[Violation]:
    """A part cannot exceed its total.

    Error when a figure's lowest possible value exceeds its parent's highest possible value
    (bounds from the qualifiers, validate.intervals), or when child and parent differ in unit or
    country. Warning when it only might exceed: its highest is above the parent's lowest.
    """
    rule = "subset_within_total"
    j = with_parent(pkg, "lo", "hi", "unit", "country")
    same = j.filter((pl.col("unit") == pl.col("unit_p")) & (pl.col("country") == pl.col("country_p")))
    might = same.filter((pl.col("lo") <= pl.col("hi_p")) & (pl.col("hi") > pl.col("lo_p")))
    return [
        *violations(
            pkg,
            rule,
            FIG,
            j.filter(pl.col("unit") != pl.col("unit_p")),
            "unit",
            "unit {unit} differs from its parent's ({unit_p})",
        ),
        *violations(
            pkg,
            rule,
            FIG,
            j.filter(pl.col("country") != pl.col("country_p")),
            "country",
            "country {country} differs from its parent's ({country_p})",
        ),
        *violations(
            pkg,
            rule,
            FIG,
            same.filter(pl.col("lo") > pl.col("hi_p")),
            "value,parent_figure_id",
            lambda r: (
                f"at least {fmt(r['lo'])} exceeds its total {r['parent_figure_id']} "
                f"(at most {fmt(r['hi_p'])})"
            ),
        ),
        *violations(
            pkg,
            rule,
            FIG,
            might,
            "value,parent_figure_id",
            lambda r: (
                f"may exceed its total {r['parent_figure_id']}: up to {fmt(r['hi'])} "
                f"against at least {fmt(r['lo_p'])}"
            ),
            warning,
        ),
    ]


def _best_disjoint(rows: list[tuple[str, int, int, float]]) -> tuple[float, list[str]]:
    """Largest sum of lower bounds over children whose periods do not overlap (interval scheduling).

    n log n: sorted by end, each child either extends the best set of those ending before it
    starts (found by binary search) or not; the chosen set is read back once, from the end.
    """
    rows = sorted(rows, key=lambda r: r[2])
    ends = np.array([r[2] for r in rows])
    before = np.searchsorted(ends, [r[1] for r in rows], side="left")  # children ending strictly before
    best, took = [0.0], [False]
    for i, (_fid, _start, _end, lo) in enumerate(rows):
        take = best[before[i]] + lo
        took.append(take > best[i])  # on a tie, keep the set without this child
        best.append(take if took[-1] else best[i])
    ids, k = [], len(rows)
    while k > 0:
        if took[k]:
            ids.append(rows[k - 1][0])
            k = int(before[k - 1])
        else:
            k -= 1
    return best[-1], ids[::-1]


def parts_within_total(pkg: Package) -> Iterable[Violation]:
    """Parts together cannot exceed their total.

    Children of one parent with the same measure whose periods do not overlap may not sum (by
    lower bounds) above the parent's upper bound. Only groups whose children's lower bounds sum
    above it at all are examined; among those, the heaviest set of non-overlapping periods counts.
    A missing start or end is open-ended, so it overlaps everything.
    """
    j = with_parent(pkg, ROW, "hi", child=("lo", "measure", "start", "end")).filter(pl.col("lo").is_not_nan())
    suspects = (
        j.group_by("parent_figure_id", "measure")
        .agg(pl.col("lo").sum().alias("total"), pl.col("hi_p", f"{ROW}_p").first(), pl.len().alias("n"))
        .filter((pl.col("n") > 1) & (pl.col("total") > pl.col("hi_p")))
    )
    lowest, highest = -(10**9), 10**9
    # the suspects' children, gathered in one pass rather than one scan of all children per suspect
    kids: dict[tuple[str, str], list[tuple[str, int, int, float]]] = {}
    mine = j.join(
        suspects.select("parent_figure_id", "measure"), on=["parent_figure_id", "measure"], how="semi"
    )
    for r in mine.iter_rows(named=True):
        kids.setdefault((r["parent_figure_id"], r["measure"]), []).append(
            (
                r["figure_id"],
                r["start"].toordinal() if r["start"] else lowest,
                r["end"].toordinal() if r["end"] else highest,
                r["lo"],
            )
        )
    over = []  # each total (its position) whose heaviest disjoint parts sum above it
    for s in suspects.sort("parent_figure_id", "measure").iter_rows(named=True):
        total, ids = _best_disjoint(kids[(s["parent_figure_id"], s["measure"])])
        if len(ids) > 1 and total > s["hi_p"]:
            over.append((s[f"{ROW}_p"], s["measure"], s["hi_p"], ", ".join(sorted(ids)), total))
    bad = pl.DataFrame(
        over,
        schema={
            ROW: pl.UInt32,
            "measure": pl.String,
            "hi_p": pl.Float64,
            "ids": pl.String,
            "sum": pl.Float64,
        },
        orient="row",
    )
    return violations(
        pkg,
        "parts_within_total",
        FIG,
        bad,
        "value",
        lambda r: (
            f"parts {r['ids']} ({r['measure']}, non-overlapping periods) sum to "
            f"at least {fmt(r['sum'])}, above this total's {fmt(r['hi_p'])}"
        ),
    )


def period_nested(pkg: Package) -> Iterable[Violation]:
    """A part's period lies within its total's period.

    A reduced-precision start stands for its first day and an end for its last day, so '2024-09'
    to '2025-09' lies within '2022' to '2025-10'. A missing date is open-ended and never fails.
    """
    j = with_parent(pkg, "start", "end")
    return [
        *violations(
            pkg,
            "period_nested",
            FIG,
            j.filter(pl.col("start") < pl.col("start_p")),
            "period_start",
            "starts {start}, before its total {parent_figure_id} ({start_p})",
        ),
        *violations(
            pkg,
            "period_nested",
            FIG,
            j.filter(pl.col("end") > pl.col("end_p")),
            "period_end",
            "ends {end}, after its total {parent_figure_id} ({end_p})",
        ),
    ]


def _ancestors(measures: pl.DataFrame) -> dict[str, set[str]]:
    broader = dict(measures.select("measure", "broader").iter_rows())
    out = {}
    for m in broader:
        seen, cur = set(), broader.get(m)
        while cur and cur not in seen:
            seen.add(cur)
            cur = broader.get(cur)
        out[m] = seen
    return out


def parent_measure_broader(pkg: Package) -> Iterable[Violation]:
    """A total measures the same thing as its part, or something wider.

    The parent's measure is the child's, or one of its ancestors along `measures.broader`.
    """
    up = _ancestors(pkg.frame("measures"))
    allowed = pl.DataFrame(
        [(m, a) for m, anc in up.items() for a in (anc | {m})], schema=["measure", "measure_p"], orient="row"
    )
    j = with_parent(pkg, "measure").join(allowed, on=["measure", "measure_p"], how="anti")
    return violations(
        pkg,
        "parent_measure_broader",
        FIG,
        j,
        "measure,parent_figure_id",
        "measure {measure} is not within its total's measure {measure_p}",
    )


def parent_chain_acyclic(pkg: Package) -> Iterable[Violation]:
    """Following parents from any figure ends at a figure without one: no cycles.

    Each figure on a cycle is reported once (pointer doubling, linear in rows times log rows).
    """
    f = pkg.frame(FIG)
    parent = parent_index(pkg).fill_null(-1).to_numpy()
    n = len(parent)
    if n == 0:
        return []
    jump = parent.copy()
    for _ in range(max(1, int(np.ceil(np.log2(n))) + 1)):
        safe = np.where(jump >= 0, jump, 0)
        jump = np.where(jump >= 0, jump[safe], -1)
        if (jump < 0).all():  # every chain has ended: no cycle (chains of depth d end in log2(d) steps)
            break
    on_cycle = pl.Series(ROW, np.unique(jump[jump >= 0]), dtype=pl.UInt32)
    return violations(
        pkg,
        "parent_chain_acyclic",
        FIG,
        f.select("parent_figure_id")[on_cycle].with_columns(on_cycle),
        "parent_figure_id",
        "its chain of parents returns to itself (through {parent_figure_id})",
    )


def parent_basis_stated(pkg: Package) -> Iterable[Violation]:
    """A figure is part of another only where its own excerpt says so.

    parent_figure_id and parent_basis come together; the basis ('including', 'alone') occurs in
    the excerpt; the parent is stated by the same source.
    """
    rule = "parent_basis_stated"
    f = pkg.frame(FIG)
    has_parent, has_basis = f["parent_figure_id"].is_not_null(), f["parent_basis"].is_not_null()
    both = f.select("excerpt", "parent_basis").with_row_index(ROW).filter(has_parent & has_basis)
    missing = both.filter(~pl.col("excerpt").str.contains(pl.col("parent_basis"), literal=True))
    other = with_parent(pkg, "source_id").filter(pl.col("source_id") != pl.col("source_id_p"))
    return [
        *violations(
            pkg, rule, FIG, has_parent & ~has_basis, "parent_basis", "has a parent but no parent_basis"
        ),
        *violations(
            pkg, rule, FIG, ~has_parent & has_basis, "parent_figure_id", "has a parent_basis but no parent"
        ),
        *violations(
            pkg, rule, FIG, missing, "parent_basis", "'{parent_basis}' does not occur in the excerpt"
        ),
        *violations(
            pkg,
            rule,
            FIG,
            other,
            "parent_figure_id",
            "its total {parent_figure_id} is from another source ({source_id_p})",
        ),
    ]


def parts_sum_to_total(pkg: Package) -> Iterable[Violation]:
    """Parts that a source declares as splitting a total add up to it, within qualifiers and rounding.

    For a figure with split_into_parts true, its parts are its children of its own measure (a split
    by period), or all its children where none has its measure (a split by kind: AWOL + desertion).
    Their bounds summed ([sum of lows, sum of highs]) must overlap its own bounds widened by its
    stated rounding ('290 тисяч' is +-500):
    "6 988, 17 658, 67 840 and 110 511 ... in all 202 997". A total declared split but with no
    parts recorded is an error too.
    """
    f = figure_frame(pkg)
    totals = with_rounding(f.filter(pl.col("split_into_parts").fill_null(False))).select(
        ROW, "figure_id", "lo_r", "hi_r"
    )
    if totals.is_empty():
        return []
    kids = with_parent(pkg, "measure", child=("lo", "hi"))
    # a split by period lists parts of the total's own measure; a split by kind (AWOL + desertion)
    # lists narrower measures: where parts of the same measure exist, only they count
    same = pl.col("measure") == pl.col("measure_p")
    kids = kids.filter(same | ~same.any().over("parent_figure_id"))
    sums = (
        kids.group_by("parent_figure_id")
        .agg(pl.col("lo").sum().alias("sum_lo"), pl.col("hi").sum().alias("sum_hi"), pl.len().alias("n"))
        .rename({"parent_figure_id": "figure_id"})
    )
    j = totals.join(sums, on="figure_id", how="left")
    return [
        *violations(
            pkg,
            "parts_sum_to_total",
            FIG,
            j.filter(pl.col("n").is_null()),
            "split_into_parts",
            "is declared split into parts, but no figure names it as parent",
        ),
        *violations(
            pkg,
            "parts_sum_to_total",
            FIG,
            # NaN (a figure without a value) compares as nothing, not as the largest number
            j.filter(
                (pl.col("sum_lo").fill_nan(None) > pl.col("hi_r").fill_nan(None))
                | (pl.col("sum_hi").fill_nan(None) < pl.col("lo_r").fill_nan(None))
            ),
            "value,split_into_parts",
            lambda r: (
                f"its {r['n']} parts add up to {fmt(r['sum_lo'])}..{fmt(r['sum_hi'])}, "
                f"outside its own {fmt(r['lo_r'])}..{fmt(r['hi_r'])}"
            ),
        ),
    ]
