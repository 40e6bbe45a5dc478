"""Rules that set figures against each other and against the discrepancies that explain them:
sources that count the same thing agree, derived figures agree with their inputs, and every row a
discrepancy questions is marked disputed."""

from __future__ import annotations

import math
from collections.abc import Iterable

import polars as pl

from validate.package import Package
from validate.report import Violation, error, warning
from validate.rules._common import FIG, ROW, figure_frame, fmt, violations, with_rounding
from validate.rules_descriptor import normal_text

DISPUTABLE = ("figures", "penalties", "quotes", "events")


CLAIM = ["country", "measure", "scope", "period_start", "period_end"]
SHOWN = 20  # members of a disagreeing group named in its warning; the rest are counted


def disagreeing_claims(pkg: Package) -> pl.DataFrame:
    """The figures that disagree with a claim of the same thing from another source, by group.

    One row per such figure: its position `_i`, figure_id, value, the claim's key columns and
    `group`, a number shared by the figures of one claim. A figure disagrees when its interval
    [lo, hi] misses another source's: some other source's highest lower bound is above its hi, or
    its lowest upper bound below its lo. Per group that needs only the two best sources on each
    side (the best may be the figure's own source), so the work grows as n log n, not with pairs.
    Text keys are compared NFC-normalised and stripped ('é' composed or not, a trailing space).
    """
    base = normal_text(figure_frame(pkg), list(CLAIM))
    # narrow down by numbers: each claim's key as a 64-bit hash (two keys sharing one only widen the
    # candidates) and its source as a position among the sources; then compare the candidates exactly
    sources = pkg.frame("sources")["source_id"].drop_nulls().unique().sort()
    g = pl.col("g")
    candidates = (
        base.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("i"),
            pl.struct(CLAIM).hash().alias("g"),
            pl.col("source_id").cast(pl.Enum(sources), strict=False).alias("s"),
            "value",
            "lo",
            "hi",
        )
        .filter(pl.col("value").is_not_null() & (pl.col("s").n_unique().over(g) > 1))
        .filter(pl.col("lo").max().over(g) > pl.col("hi").min().over(g))
    )
    f = base.select(ROW, "figure_id", "source_id", "value", "lo", "hi", *CLAIM)[candidates["i"]]
    f = f.filter(pl.col("source_id").is_not_null())
    groups = f.select(CLAIM).unique(maintain_order=True).with_row_index("group")
    f = f.join(groups, on=CLAIM, how="left", nulls_equal=True)
    # per group and source its highest lower bound and lowest upper bound; then per group the best
    # two sources on each side, so that each figure finds the best of the sources other than its own
    per_source = f.group_by("group", "source_id").agg(pl.col("lo").max(), pl.col("hi").min())

    def best_two(col: str, descending: bool) -> pl.DataFrame:
        ranked = per_source.sort("group", col, "source_id", descending=[False, descending, False])
        return ranked.group_by("group", maintain_order=True).agg(
            pl.col("source_id").first().alias(f"{col}_source"),
            pl.col(col).first().alias(f"{col}_1"),
            pl.col(col).get(1, null_on_oob=True).alias(f"{col}_2"),
        )

    f = f.join(best_two("lo", True), on="group").join(best_two("hi", False), on="group")
    other_lo = pl.when(pl.col("source_id") == pl.col("lo_source")).then("lo_2").otherwise("lo_1")
    other_hi = pl.when(pl.col("source_id") == pl.col("hi_source")).then("hi_2").otherwise("hi_1")
    return (
        f.filter(((other_lo > pl.col("hi")) | (other_hi < pl.col("lo"))).fill_null(False))
        .select(ROW, "figure_id", "value", *CLAIM, "group")
        .sort("group", "figure_id")
    )


def claims_agree(pkg: Package) -> Iterable[Violation]:
    """Sources that count the same thing over the same period agree, within qualifiers (a warning).

    Figures of one country, measure, scope, period_start and period_end from two or more sources
    are compared by their bounds: a figure whose interval does not overlap another source's
    disagrees ('more than 50 thousand' and 50,058 agree). Each claim with disagreeing figures is
    one warning, keyed by the first of them by figure_id, naming up to 20 with their values (in
    turn across the values) and counting the rest.
    """
    found = disagreeing_claims(pkg)
    # named in turn across the values (the first figure of each value, then the second...), so
    # that the 20 named show the disagreement even when one value has hundreds of figures
    turn = pl.int_range(pl.len()).over("group", "value")
    found = found.with_columns(turn=turn).sort("group", "turn", "value", "figure_id")
    members = pl.format("{} ({})", pl.col("value"), pl.col("figure_id"))
    per_group = found.group_by("group", maintain_order=True).agg(
        pl.col(ROW).sort_by("figure_id").first(),
        pl.first("measure", "period_start", "period_end"),
        pl.len().alias("n"),
        members.head(SHOWN).alias("shown"),
    )

    def message(r: dict) -> str:
        more = r["n"] - len(r["shown"])
        period = f"{r['period_start'] or '?'}..{r['period_end'] or '?'}"
        listed = "; ".join(r["shown"]) + (f"; and {more} more" if more else "")
        return f"{r['n']} figures disagree on {r['measure']} {period}: {listed}"

    return violations(pkg, "claims_agree", FIG, per_group, "value", message, warning)


def _derive(kind: str, ins: list[tuple[float, float]]) -> tuple[float, float]:
    """Bounds of a sum, difference (first minus the rest) or ratio (first over second) of intervals."""
    if kind == "sum":
        return sum(lo for lo, _ in ins), sum(hi for _, hi in ins)
    if kind == "difference":
        (lo0, hi0), rest = ins[0], ins[1:]
        return lo0 - sum(hi for _, hi in rest), hi0 - sum(lo for lo, _ in rest)
    (alo, ahi), (blo, bhi) = ins[0], ins[1]
    if blo <= 0:
        return -math.inf, math.inf
    return alo / bhi, ahi / blo


def derivation_agrees(pkg: Package) -> Iterable[Violation]:
    """A figure computed from others agrees with them, within qualifiers and stated rounding.

    derivation (difference, sum, ratio) and derived_from (figure ids, in order) come together;
    the interval computed from the inputs' bounds must overlap the figure's own bounds widened by
    its rounding: 176,000 (+-500) AWOL cases from Sep 2024 to Sep 2025 = 235,646 - "about 60
    thousand" (54,000..66,000); "cinq fois plus" (+-0.5) = 4,346 / 884.
    """
    f = figure_frame(pkg)
    rows = f.filter(pl.col("derivation").is_not_null() | pl.col("derived_from").is_not_null())
    if rows.is_empty():
        return []
    rows = with_rounding(rows)
    # the bounds of the figures named as inputs only, not a dict of every figure
    named = rows["derived_from"].str.extract_all(r"\S+").explode().drop_nulls().unique().implode()
    inputs = f.select("figure_id", "lo", "hi").filter(pl.col("figure_id").is_in(named))
    bounds_of = {r[0]: (r[1], r[2]) for r in inputs.iter_rows()}
    found = []  # (position, fields, message)
    for r in rows.iter_rows(named=True):
        kind, ids = r["derivation"], (r["derived_from"] or "").split()
        if not kind or not ids:
            found.append(
                (r[ROW], "derivation,derived_from", "derivation and derived_from must be given together")
            )
            continue
        missing = [i for i in ids if i not in bounds_of]
        if missing or (kind == "ratio" and len(ids) != 2):
            why = f"names no figure {', '.join(missing)}" if missing else "a ratio needs exactly two figures"
            found.append((r[ROW], "derived_from", why))
            continue
        lo, hi = _derive(kind, [bounds_of[i] for i in ids])
        if lo > r["hi_r"] or hi < r["lo_r"]:
            found.append(
                (
                    r[ROW],
                    "value,derived_from",
                    f"the {kind} of {' '.join(ids)} is {fmt(lo)}..{fmt(hi)}, "
                    f"outside its own {fmt(r['lo_r'])}..{fmt(r['hi_r'])}",
                )
            )
    out = []
    for cols in dict.fromkeys(c for _, c, _ in found):
        bad = pl.DataFrame(
            [(i, m) for i, c, m in found if c == cols],
            schema={ROW: pl.UInt32, "message": pl.String},
            orient="row",
        )
        out += violations(pkg, "derivation_agrees", FIG, bad, cols, "{message}")
    return out


def discrepancy_rows_exist(pkg: Package) -> Iterable[Violation]:
    """Every discrepancy names rows that exist.

    The keys in discrepancies.rows and .evidence must be primary keys of figures, penalties,
    quotes or events. (Until 1.2.0 this rule also checked the disputed flag of figures; that is
    now disputed_means_questioned, for every table.)
    """
    d = pkg.frame("discrepancies")
    if d.is_empty():
        return []
    # every cited key with its row and column, in one frame (a Python loop costs seconds at scale)
    cited = pl.concat(
        [
            d.select(
                pl.int_range(pl.len()).alias("_i"), pl.col(col).cast(pl.String).str.split(" ").alias("k")
            )
            .explode("k")
            .filter(pl.col("k").is_not_null() & (pl.col("k") != ""))
            .with_columns(col=pl.lit(col))
            for col in ("rows", "evidence")
        ]
    )
    wanted = cited["k"].unique()
    known = []  # the cited keys that exist: a scan of each table for the cited keys, no set of all keys
    for name in DISPUTABLE:
        if name in pkg.tables:
            table_keys = pkg.tables[name].keys
            known.append(table_keys.filter(table_keys.is_in(wanted.implode())))
    found = pl.concat(known).unique() if known else pl.Series("k", [], dtype=pl.String)
    missing = cited.filter(~pl.col("k").is_in(found.implode())).sort("_i", "col", maintain_order=True)
    keys = pkg.tables["discrepancies"].keys
    return [
        error(
            "discrepancy_rows_exist",
            "discrepancies",
            keys[i],
            col,
            f"'{k}' is not a row of figures, penalties, quotes or events",
        )
        for i, k, col in missing.select("_i", "k", "col").iter_rows()
    ]


def disputed_means_questioned(pkg: Package) -> Iterable[Violation]:
    """A row is marked disputed exactly when a discrepancy questions it.

    A discrepancy questions the keys in its `rows`; the keys in its `evidence` show the conflict
    and are not questioned by it. In figures, penalties, quotes and events, `disputed` must be
    true for every row some discrepancy lists in `rows`, and false for every other row, so that a
    reader who drops disputed rows keeps the counts that serve as evidence.
    """
    d = pkg.frame("discrepancies")
    questioned: dict[str, str] = {}
    if not d.is_empty():
        for did, text in d.select("discrepancy_id", "rows").iter_rows():
            for k in (text or "").split():
                questioned.setdefault(k, did)
    wanted = pl.Series(list(questioned), dtype=pl.String)
    out = []
    for name in DISPUTABLE:
        if name not in pkg.tables or "disputed" not in pkg.frame(name).columns:
            continue
        keys = pkg.tables[name].keys
        named = keys.is_in(wanted.implode()).fill_null(False)
        flag = pkg.frame(name)["disputed"].cast(pl.Boolean)
        out += violations(
            pkg,
            "disputed_means_questioned",
            name,
            flag.fill_null(False) & ~named,
            "disputed",
            "is marked disputed, but no discrepancy questions it",
        )
        out += violations(
            pkg,
            "disputed_means_questioned",
            name,
            pl.DataFrame({"key": keys}).with_row_index(ROW).filter(named & ~flag.fill_null(True)),
            "disputed",
            lambda r: f"discrepancy {questioned[r['key']]} questions it, but it is not marked disputed",
        )
    return out
