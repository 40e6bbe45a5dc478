"""The consistency rules. Each is one function: its name is the rule's stable id (never renamed or
reused), the first line of its docstring states the rule in plain words, and the next lines name
the fields, tolerances and why. Every rule takes the package and returns its violations; `RULES`
at the end is the one registry, in the order the report lists them.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl

from desertion_data._read import date_fields, fields, first_day, last_day
from validate.intervals import bounds
from validate.package import READ_RULE, TYPE_RULE, Package
from validate.readable import ABS_TOL, REL_TOL, numbers_in, parse_number, rounding
from validate.report import RuleSkipped, Violation, error, warning
from validate.rules_descriptor import (
    descriptor_valid,
    files_regular,
    keys_normalised,
    normal_text,
    schemas_intact,
)

FIG = "figures"


def _days(pkg: Package, table: str, col: str, side: str) -> pl.Series:
    """First or last day of each reduced-precision date in a column (null where none); cached."""
    if (table, col, side) not in pkg.cache:
        arrow = pkg.frame(table)[col].cast(pl.String).to_arrow()
        day = first_day(arrow) if side == "first" else last_day(arrow)
        pkg.cache[(table, col, side)] = pl.Series(col, day)
    return pkg.cache[(table, col, side)]


def figure_frame(pkg: Package) -> pl.DataFrame:
    """Figures with their bounds [lo, hi] and period days (start, end, end_first); cached."""
    if FIG not in pkg.cache:
        f = pkg.frame(FIG)
        lo, hi = bounds(f["value"], f["qualifier"], f["value_high"] if "value_high" in f.columns else None)
        pkg.cache[FIG] = f.with_columns(
            lo=pl.Series(lo),
            hi=pl.Series(hi),
            start=_days(pkg, FIG, "period_start", "first"),
            end=_days(pkg, FIG, "period_end", "last"),
            end_first=_days(pkg, FIG, "period_end", "first"),
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


def _with_parent(pkg: Package, *cols: str, child: tuple[str, ...] = ()) -> pl.DataFrame:
    """Each figure that has a parent: its own `cols` and `child` columns, and its parent's `cols`
    (suffixed '_p'). Built per call from parent_index, with only the columns asked for."""
    f = figure_frame(pkg)
    p = parent_index(pkg)
    has = p.is_not_null()
    at = p.filter(has)
    own = list(dict.fromkeys(["figure_id", "parent_figure_id", *cols, *child]))
    return f.select(own).filter(has).hstack([f[c].gather(at).alias(f"{c}_p") for c in cols])


def _fmt(x: float) -> str:
    return "inf" if math.isinf(x) else f"{x:,.6g}" if abs(x) < 1e6 else f"{x:,.0f}"


def csv_well_formed(pkg: Package) -> Iterable[Violation]:
    """Every table is a plain UTF-8 CSV: no byte-order mark, LF line ends, one cell per column.

    The header names exactly the schema's fields in order; every row has as many cells as the
    header. Found while reading (see validate.package); a bad row is left out of the other rules.
    """
    return [v for v in pkg.problems if v.rule == READ_RULE]


def rows_match_schema(pkg: Package) -> Iterable[Violation]:
    """Every cell conforms to its Table Schema: type, required, unique, enum, pattern, minimum.

    The pandera schema is derived from `schemas/*.schema.json` (validate.schema). Reduced-precision
    dates must also be real days ('2025-02-30' matches the pattern but is not a date).
    One violation per cell, keyed by the row's primary key.
    """
    import pandera.errors  # pandera (and the pandas it imports) only when this rule runs

    from validate.schema import dataframe_schema, describe

    out = [v for v in pkg.problems if v.rule == TYPE_RULE]
    seen = {(v.resource, v.key, v.fields) for v in out}
    for name, table in pkg.tables.items():
        by_name = {f["name"]: f for f in fields(table.schema)}
        if table.frame.width != len(by_name):
            continue  # a missing or unknown column is reported by csv_well_formed
        try:
            dataframe_schema(name, table.schema).validate(table.frame, lazy=True)
        except pandera.errors.SchemaErrors as exc:
            cases = exc.failure_cases.unique(subset=["column", "check", "index"], maintain_order=True)
            for row in cases.iter_rows(named=True):
                idx, col = row["index"], row["column"]
                key = table.keys[idx] if idx is not None else ""
                if (name, key, col) in seen:
                    continue
                seen.add((name, key, col))
                field = by_name.get(col, {})
                shown = "" if row["failure_case"] is None else f" ('{row['failure_case']}')"
                out.append(
                    error(
                        "rows_match_schema",
                        name,
                        key,
                        col or "",
                        f"{table.path}: {col} {describe(row['check'], field)}{shown}",
                    )
                )
        for col in date_fields(table.schema):
            text = table.frame[col]
            real = _days(pkg, name, col, "first")
            bad = (
                text.is_not_null() & text.str.contains(r"^\d{4}(-\d{2}){0,2}$") & real.is_null()
            ).arg_true()
            for i in bad.to_list():
                if (name, table.keys[i], col) not in seen:
                    out.append(
                        error(
                            "rows_match_schema",
                            name,
                            table.keys[i],
                            col,
                            f"{table.path}: {col} '{text[i]}' is not a real date",
                        )
                    )
    return out


def foreign_keys_resolve(pkg: Package) -> Iterable[Violation]:
    """Every foreign key names a row that exists (a figure's source, measure and parent...).

    Read from each schema's foreignKeys; a reference without a resource is to the same table.
    """
    out = []
    for name, table in pkg.tables.items():
        for fk in table.schema.get("foreignKeys", []):
            (col,), (ref_col,) = fk["fields"], fk["reference"]["fields"]
            target = fk["reference"].get("resource") or name
            if col not in table.frame.columns or target not in pkg.tables:
                continue
            cells = table.frame[col]
            if (name, col, ref_col) == (FIG, "parent_figure_id", "figure_id"):
                bad = cells.is_not_null() & parent_index(pkg).is_null()
            else:
                known = pkg.frame(target)[ref_col]
                if known.len() > cells.len():  # a few rows citing a big table: hash the few, scan the big
                    known = known.filter(known.is_in(cells.drop_nulls().unique().implode()))
                known = known.drop_nulls().unique().implode()
                bad = (cells.is_not_null() & ~cells.is_in(known)).fill_null(False)
            for i, value in zip(bad.arg_true().to_list(), cells.filter(bad).to_list(), strict=True):
                out.append(
                    error(
                        "foreign_keys_resolve",
                        name,
                        table.keys[i],
                        col,
                        f"{col} '{value}' is not a {ref_col} in {target}",
                    )
                )
    return out


def subset_within_total(pkg: Package) -> Iterable[Violation]:
    """A part cannot exceed its total.

    Error when a figure's lowest possible value exceeds its parent's highest possible value
    (bounds from the qualifiers, validate.intervals), or when child and parent differ in unit or
    country. Warning when it only might exceed: its highest is above the parent's lowest.
    """
    j = _with_parent(pkg, "lo", "hi", "unit", "country")
    out = []
    for r in j.filter(pl.col("unit") != pl.col("unit_p")).iter_rows(named=True):
        out.append(
            error(
                "subset_within_total",
                FIG,
                r["figure_id"],
                "unit",
                f"unit {r['unit']} differs from its parent's ({r['unit_p']})",
            )
        )
    for r in j.filter(pl.col("country") != pl.col("country_p")).iter_rows(named=True):
        out.append(
            error(
                "subset_within_total",
                FIG,
                r["figure_id"],
                "country",
                f"country {r['country']} differs from its parent's ({r['country_p']})",
            )
        )
    same = j.filter((pl.col("unit") == pl.col("unit_p")) & (pl.col("country") == pl.col("country_p")))
    for r in same.filter(pl.col("lo") > pl.col("hi_p")).iter_rows(named=True):
        out.append(
            error(
                "subset_within_total",
                FIG,
                r["figure_id"],
                "value,parent_figure_id",
                f"at least {_fmt(r['lo'])} exceeds its total {r['parent_figure_id']} "
                f"(at most {_fmt(r['hi_p'])})",
            )
        )
    might = same.filter((pl.col("lo") <= pl.col("hi_p")) & (pl.col("hi") > pl.col("lo_p")))
    for r in might.iter_rows(named=True):
        out.append(
            warning(
                "subset_within_total",
                FIG,
                r["figure_id"],
                "value,parent_figure_id",
                f"may exceed its total {r['parent_figure_id']}: up to {_fmt(r['hi'])} "
                f"against at least {_fmt(r['lo_p'])}",
            )
        )
    return out


def _best_disjoint(rows: list[tuple[str, int, int, float]]) -> tuple[float, list[str]]:
    """Largest sum of lower bounds over children whose periods do not overlap (interval scheduling)."""
    rows = sorted(rows, key=lambda r: r[2])
    ends = [r[2] for r in rows]
    best = [(0.0, [])]
    for i, (fid, start, _end, lo) in enumerate(rows):
        j = int(np.searchsorted(ends, start, side="left"))  # children ending strictly before start
        take = (best[j][0] + lo, [*best[j][1], fid])
        best.append(max(best[i], take, key=lambda b: b[0]))
    return best[-1]


def parts_within_total(pkg: Package) -> Iterable[Violation]:
    """Parts together cannot exceed their total.

    Children of one parent with the same measure whose periods do not overlap may not sum (by
    lower bounds) above the parent's upper bound. Only groups whose children's lower bounds sum
    above it at all are examined; among those, the heaviest set of non-overlapping periods counts.
    A missing start or end is open-ended, so it overlaps everything.
    """
    j = _with_parent(pkg, "hi", child=("lo", "measure", "start", "end")).filter(pl.col("lo").is_not_nan())
    suspects = (
        j.group_by("parent_figure_id", "measure")
        .agg(pl.col("lo").sum().alias("total"), pl.col("hi_p").first(), pl.len().alias("n"))
        .filter((pl.col("n") > 1) & (pl.col("total") > pl.col("hi_p")))
    )
    out = []
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
    for s in suspects.sort("parent_figure_id", "measure").iter_rows(named=True):
        rows = kids[(s["parent_figure_id"], s["measure"])]
        total, ids = _best_disjoint(rows)
        if len(ids) > 1 and total > s["hi_p"]:
            out.append(
                error(
                    "parts_within_total",
                    FIG,
                    s["parent_figure_id"],
                    "value",
                    f"parts {', '.join(sorted(ids))} ({s['measure']}, non-overlapping periods) sum to "
                    f"at least {_fmt(total)}, above this total's {_fmt(s['hi_p'])}",
                )
            )
    return out


def period_nested(pkg: Package) -> Iterable[Violation]:
    """A part's period lies within its total's period.

    A reduced-precision start stands for its first day and an end for its last day, so '2024-09'
    to '2025-09' lies within '2022' to '2025-10'. A missing date is open-ended and never fails.
    """
    j = _with_parent(pkg, "start", "end")
    out = []
    for r in j.filter(pl.col("start") < pl.col("start_p")).iter_rows(named=True):
        out.append(
            error(
                "period_nested",
                FIG,
                r["figure_id"],
                "period_start",
                f"starts {r['start']}, before its total {r['parent_figure_id']} ({r['start_p']})",
            )
        )
    for r in j.filter(pl.col("end") > pl.col("end_p")).iter_rows(named=True):
        out.append(
            error(
                "period_nested",
                FIG,
                r["figure_id"],
                "period_end",
                f"ends {r['end']}, after its total {r['parent_figure_id']} ({r['end_p']})",
            )
        )
    return out


def period_ordered(pkg: Package) -> Iterable[Violation]:
    """Periods run forwards and end by the time their source was published.

    Figures: period_start (first day) <= period_end (last day), and period_end (its first day)
    is not after the source's `published` (its last day), when known. Penalties:
    effective_from <= effective_to on the same reading.
    """
    f = figure_frame(pkg)
    out = []
    for r in f.filter(pl.col("start") > pl.col("end")).iter_rows(named=True):
        out.append(
            error(
                "period_ordered",
                FIG,
                r["figure_id"],
                "period_start,period_end",
                f"starts {r['period_start']} after it ends {r['period_end']}",
            )
        )
    sources = pkg.frame("sources")
    if "published" in sources.columns:
        last = _days(pkg, "sources", "published", "last")
        published = dict(zip(sources["source_id"], sources["published"], strict=True))
        limit = dict(zip(sources["source_id"], last, strict=True))
        late = f.select("figure_id", "source_id", "period_end", "end_first").filter(
            pl.col("end_first")
            > pl.col("source_id").replace_strict(limit, default=None, return_dtype=pl.Date)
        )
        for r in late.iter_rows(named=True):
            out.append(
                error(
                    "period_ordered",
                    FIG,
                    r["figure_id"],
                    "period_end",
                    f"ends {r['period_end']}, after its source was published ({published[r['source_id']]})",
                )
            )
    p = pkg.frame("penalties")
    if {"effective_from", "effective_to"} <= set(p.columns):
        keys = pkg.tables["penalties"].keys
        start = _days(pkg, "penalties", "effective_from", "first")
        bad = (start > _days(pkg, "penalties", "effective_to", "last")).arg_true()
        for i in bad.to_list():
            out.append(
                error(
                    "period_ordered",
                    "penalties",
                    keys[i],
                    "effective_from,effective_to",
                    f"effective from {p['effective_from'][i]} after effective to {p['effective_to'][i]}",
                )
            )
    return out


def cumulative_nondecreasing(pkg: Package) -> Iterable[Violation]:
    """A count from a fixed start never falls as its end date advances.

    Among figures of one country and measure counted from the same start (same first day), across
    sources, a figure whose stated end is later than another's end may not have a highest possible
    value below that one's lowest possible value. A later figure whose end is only our upper bound
    (period_end_stated false) is not compared, since its real end may be earlier.
    """
    group = ["country", "measure", "scope", "start"]
    base = figure_frame(pkg)
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
    candidates = j.filter(pl.col("hi") < pl.col("best")).sort("i")
    # confirm each candidate against its exact group: the rows sharing a candidate's hash, read once
    near = f.filter(pl.col("g").is_in(candidates["g"].implode()))["i"]
    cols = ["figure_id", "period_end", "lo", "end", *group]
    groups: dict[tuple, list[dict]] = {}
    for r in base.select(cols)[near].iter_rows(named=True):
        groups.setdefault(tuple(r[c] for c in group), []).append(r)
    out = []
    for r in candidates.iter_rows(named=True):
        row = base.row(r["i"], named=True)
        prior = [p for p in groups[tuple(row[c] for c in group)] if p["end"] <= r["at"]]
        best = max((p["lo"] for p in prior), default=None)
        if best is None or not r["hi"] < best:
            continue  # another group with the same hash
        a = next(p for p in prior if p["lo"] == best)
        out.append(
            error(
                "cumulative_nondecreasing",
                FIG,
                row["figure_id"],
                "value,period_end",
                f"at most {_fmt(r['hi'])} to {row['period_end']}, below {a['figure_id']} "
                f"(at least {_fmt(best)} to {a['period_end']}) counted from the same start",
            )
        )
    return out


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
    j = _with_parent(pkg, "measure").join(allowed, on=["measure", "measure_p"], how="anti")
    return [
        error(
            "parent_measure_broader",
            FIG,
            r["figure_id"],
            "measure,parent_figure_id",
            f"measure {r['measure']} is not within its total's measure {r['measure_p']}",
        )
        for r in j.iter_rows(named=True)
    ]


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
    on_cycle = np.unique(jump[jump >= 0])
    return [
        error(
            "parent_chain_acyclic",
            FIG,
            f["figure_id"][int(i)],
            "parent_figure_id",
            f"its chain of parents returns to itself (through {f['parent_figure_id'][int(i)]})",
        )
        for i in on_cycle
    ]


def claim_unique(pkg: Package) -> Iterable[Violation]:
    """A claim is recorded once: no two figures share source, country, measure, period and value.

    The first row in key order stands; each later duplicate is reported, naming the first.
    """
    key = ["source_id", "country", "measure", "scope", "period_start", "period_end", "value"]
    f = pkg.frame(FIG).select("figure_id", *key)
    f = normal_text(f, key[:-1])  # issue 13: 'é' composed or not, a trailing space: same claim
    # rows whose keys hash alike (8 bytes a row to compare), then the exact comparison on those alone
    f = f.filter(pl.struct(key).hash().is_duplicated())
    f = f.filter(pl.struct(key).is_duplicated()).sort("figure_id")
    f = f.with_columns(first=pl.col("figure_id").first().over(key))
    dup = f.filter(pl.col("figure_id") != pl.col("first"))
    return [
        error("claim_unique", FIG, r["figure_id"], ",".join(key), f"repeats the claim of {r['first']}")
        for r in dup.iter_rows(named=True)
    ]


def penalty_terms_ordered(pkg: Package) -> Iterable[Violation]:
    """A penalty's shortest term is not longer than its longest: min_years <= max_years.

    (0 <= each term is the schema's minimum, reported by rows_match_schema.)
    """
    p = pkg.frame("penalties")
    if p.is_empty():
        return []
    keys = pkg.tables["penalties"].keys
    bad = (p["min_years"] > p["max_years"]).arg_true()
    return [
        error(
            "penalty_terms_ordered",
            "penalties",
            keys[i],
            "min_years,max_years",
            f"min_years {p['min_years'][i]:g} is above max_years {p['max_years'][i]:g}",
        )
        for i in bad.to_list()
    ]


TEXT_COLUMNS = {"figures": "excerpt", "penalties": "excerpt", "quotes": "text", "events": "excerpt"}


def source_texts(pkg: Package) -> dict[str, str]:
    """Source texts by source_id, found by their SHA-256 among the files of the sources folder."""
    if "texts" not in pkg.cache:
        folder = Path(pkg.sources_dir)
        by_hash = {}
        for file in sorted(folder.iterdir()):
            if file.is_file():
                by_hash[hashlib.sha256(file.read_bytes()).hexdigest()] = file
        texts = {}
        for sid, sha in pkg.frame("sources").select("source_id", "sha256").iter_rows():
            if sha in by_hash:
                texts[sid] = by_hash[sha].read_text(encoding="utf-8")
        pkg.cache["texts"] = texts
    return pkg.cache["texts"]


def excerpt_verbatim(pkg: Package) -> Iterable[Violation]:
    """Every excerpt and quote is a verbatim substring of its source text.

    Source texts are found by `sources.sha256` in the folder given as --sources; without it the
    rule is skipped and the rows it could not check are counted. A source whose text is not in
    the folder is an error on that source.
    """
    rows = sum(pkg.frame(t).height for t in TEXT_COLUMNS)
    if pkg.sources_dir is None:
        raise RuleSkipped("no sources folder given (--sources DIR)", rows)
    if not Path(pkg.sources_dir).is_dir():
        raise RuleSkipped(f"sources folder {pkg.sources_dir} not found", rows)
    texts = source_texts(pkg)
    out = [
        error("excerpt_verbatim", "sources", sid, "sha256", f"no file in {pkg.sources_dir} has this SHA-256")
        for sid in pkg.frame("sources")["source_id"].to_list()
        if sid not in texts
    ]
    lookup = pl.DataFrame(
        {"source_id": list(texts), "_text": list(texts.values())},
        schema={"source_id": pl.String, "_text": pl.String},
    )
    for name, col in TEXT_COLUMNS.items():
        t = pkg.frame(name)
        if t.is_empty():
            continue
        keys = pkg.tables[name].keys
        j = t.select("source_id", col).with_row_index("_i").join(lookup, on="source_id", how="inner")
        bad = j.filter(pl.col(col).is_not_null() & ~pl.col("_text").str.contains(pl.col(col), literal=True))
        for i, sid, text in bad.select("_i", "source_id", col).iter_rows():
            out.append(
                error("excerpt_verbatim", name, keys[i], col, f"not found verbatim in {sid}: '{text[:60]}'")
            )
    return out


def value_readable(pkg: Package) -> Iterable[Violation]:
    """Each figure's value can be read in its excerpt, and each penalty's terms in its excerpt.

    `value_text` must occur in the excerpt and read as `value` (and a range's `value_high_text`
    as `value_high`) (validate.readable.parse_number:
    '235,000', '202 997', 'one in three', 'tenfold', '10%', '60 тисяч'); ratios to six decimals.
    A penalty's min_years and max_years must each be a number written in its excerpt.
    """
    out = []
    f = pkg.frame(FIG)
    if not f.is_empty():
        keys = pkg.tables[FIG].keys
        text = pl.col("value_text")
        plain = text.str.contains(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$")
        checked = (
            f.select(
                "value_text",
                "value",
                present=pl.col("excerpt").str.contains(text, literal=True),
                fast=pl.when(plain).then(text.str.replace_all(",", "").cast(pl.Float64, strict=False)),
            )
            .with_row_index("_i")
            .filter(text.is_not_null() & pl.col("value").is_not_null())
        )
        for i, t in checked.filter(~pl.col("present").fill_null(False))[["_i", "value_text"]].iter_rows():
            out.append(
                error(
                    "value_readable",
                    FIG,
                    keys[i],
                    "value_text,excerpt",
                    f"'{t}' does not occur in the excerpt",
                )
            )
        present = checked.filter(pl.col("present").fill_null(False))
        slow = present.filter(pl.col("fast").is_null())["value_text"].unique().to_list()
        read = {t: parse_number(t) for t in slow}
        stated = present.with_columns(
            stated=pl.coalesce("fast", text.replace_strict(read, default=None, return_dtype=pl.Float64))
        )
        gap = (pl.col("stated") - pl.col("value")).abs()
        scale = pl.max_horizontal(pl.col("stated").abs(), pl.col("value").abs())
        close = (gap <= pl.max_horizontal(pl.lit(ABS_TOL), REL_TOL * scale)).fill_null(False)
        wrong = stated.filter(~close)[["_i", "value_text", "value", "stated"]]
        for i, t, value, got in wrong.iter_rows():
            shown = "cannot be read as a number" if got is None else f"reads as {got:g}"
            out.append(
                error("value_readable", FIG, keys[i], "value,value_text", f"'{t}' {shown}, not {value:g}")
            )
        if "value_high_text" in f.columns:
            highs = f.select("excerpt", "value_high_text", "value_high").with_row_index("_i")
            highs = highs.filter(pl.col("value_high_text").is_not_null())
            for i, excerpt, t, high in highs.select(
                "_i", "excerpt", "value_high_text", "value_high"
            ).iter_rows():
                got = parse_number(t)
                if t not in (excerpt or ""):
                    message = f"'{t}' does not occur in the excerpt"
                elif (
                    high is None
                    or got is None
                    or abs(got - high) > max(ABS_TOL, REL_TOL * max(abs(got), abs(high)))
                ):
                    shown = "cannot be read as a number" if got is None else f"reads as {got:g}"
                    message = f"'{t}' {shown}, not {high if high is None else format(high, 'g')}"
                else:
                    continue
                out.append(error("value_readable", FIG, keys[i], "value_high,value_high_text", message))
    p = pkg.frame("penalties")
    if not p.is_empty():
        keys = pkg.tables["penalties"].keys
        for i, row in enumerate(p.select("excerpt", "min_years", "max_years").iter_rows()):
            written = numbers_in(row[0] or "")
            for col, term in zip(("min_years", "max_years"), row[1:], strict=True):
                if term is not None and term not in written:
                    out.append(
                        error(
                            "value_readable",
                            "penalties",
                            keys[i],
                            col,
                            f"{col} {term:g} is not a number written in the excerpt",
                        )
                    )
    return out


def parent_basis_stated(pkg: Package) -> Iterable[Violation]:
    """A figure is part of another only where its own excerpt says so.

    parent_figure_id and parent_basis come together; the basis ('including', 'alone') occurs in
    the excerpt; the parent is stated by the same source.
    """
    f = pkg.frame(FIG)
    out = []
    keys = pkg.tables[FIG].keys if FIG in pkg.tables else None
    has_parent, has_basis = f["parent_figure_id"].is_not_null(), f["parent_basis"].is_not_null()
    for i in (has_parent & ~has_basis).arg_true().to_list():
        out.append(
            error("parent_basis_stated", FIG, keys[i], "parent_basis", "has a parent but no parent_basis")
        )
    for i in (~has_parent & has_basis).arg_true().to_list():
        out.append(
            error("parent_basis_stated", FIG, keys[i], "parent_figure_id", "has a parent_basis but no parent")
        )
    both = f.select("excerpt", "parent_basis").with_row_index("_i").filter(has_parent & has_basis)
    missing = both.filter(~pl.col("excerpt").str.contains(pl.col("parent_basis"), literal=True))
    for i, basis in missing.select("_i", "parent_basis").iter_rows():
        out.append(
            error(
                "parent_basis_stated",
                FIG,
                keys[i],
                "parent_basis",
                f"'{basis}' does not occur in the excerpt",
            )
        )
    other = _with_parent(pkg, "source_id").filter(pl.col("source_id") != pl.col("source_id_p"))
    for r in other.iter_rows(named=True):
        out.append(
            error(
                "parent_basis_stated",
                FIG,
                r["figure_id"],
                "parent_figure_id",
                f"its total {r['parent_figure_id']} is from another source ({r['source_id_p']})",
            )
        )
    return out


def unit_matches_measure(pkg: Package) -> Iterable[Violation]:
    """A figure is stated in its measure's unit."""
    units = dict(pkg.frame("measures").select("measure", "unit").iter_rows())
    f = pkg.frame(FIG).select("figure_id", "measure", "unit")
    f = f.with_columns(unit_m=pl.col("measure").replace_strict(units, default=None, return_dtype=pl.String))
    wrong = f.filter(pl.col("unit_m").is_not_null() & (pl.col("unit") != pl.col("unit_m")))
    return [
        error(
            "unit_matches_measure",
            FIG,
            r["figure_id"],
            "unit",
            f"unit {r['unit']}, but measure {r['measure']} is counted in {r['unit_m']}",
        )
        for r in wrong.iter_rows(named=True)
    ]


def package_intact(pkg: Package) -> Iterable[Violation]:
    """The files are the ones the descriptor describes.

    Each resource's bytes and SHA-256 match datapackage.json; each schema is
    schemas/<resource>.schema.json; every file in data/ is a described resource.
    """
    out = []
    described = set()
    for res in pkg.descriptor["resources"]:
        name = res["name"]
        table = pkg.tables[name]
        described.add(Path(table.path).as_posix())
        algo, _, want = str(res.get("hash", "")).rpartition(":")
        got = table.digest if table.algo == (algo or "md5") else ""
        if got != want:
            out.append(
                error(
                    "package_intact",
                    name,
                    "",
                    "hash",
                    f"{table.path}: {algo or 'md5'} is {got}, "
                    f"the descriptor says {want or 'nothing'} (run `nox -s stamp` after editing data)",
                )
            )
        if res.get("bytes") != table.size:
            out.append(
                error(
                    "package_intact",
                    name,
                    "",
                    "bytes",
                    f"{table.path}: {table.size} bytes, the descriptor says {res.get('bytes')}",
                )
            )
        if res.get("schema") != f"schemas/{name}.schema.json":
            out.append(
                error(
                    "package_intact",
                    name,
                    "",
                    "schema",
                    f"schema is {res.get('schema')!r}, expected 'schemas/{name}.schema.json'",
                )
            )
    data = pkg.base / "data"
    if data.is_dir():
        for file in sorted(data.rglob("*")):
            rel = file.relative_to(pkg.base).as_posix()
            if file.is_file() and rel not in described:
                out.append(
                    error(
                        "package_intact", "", "", "", f"{rel}: in data/ but not a resource in the descriptor"
                    )
                )
    return out


def no_spreadsheet_formula(pkg: Package) -> Iterable[Violation]:
    """No text cell starts with '=', '+', '-' or '@', which a spreadsheet would run as a formula."""
    out = []
    for name, table in pkg.tables.items():
        text = [col for col, dtype in table.frame.schema.items() if dtype == pl.String]
        # one select over all text columns, run in parallel; only columns with a hit are looked at
        hits = table.frame.select(pl.col(text).str.contains(r"^[=+\-@]").any())
        for col in [c for c in text if hits[c][0]]:
            bad = table.frame[col].str.contains(r"^[=+\-@]").fill_null(False).arg_true()
            for i in bad.to_list():
                out.append(
                    error(
                        "no_spreadsheet_formula",
                        name,
                        table.keys[i],
                        col,
                        f"starts with '{table.frame[col][i][0]}'; reword or move the character",
                    )
                )
    return out


def claims_agree(pkg: Package) -> Iterable[Violation]:
    """Sources that count the same thing over the same period agree, within qualifiers (a warning).

    Figures of one country, measure, scope, period_start and period_end from two or more sources
    are compared by their bounds: a figure whose interval does not overlap another source's is
    listed, so that a reader sees where sources disagree ('more than 50 thousand' and 50,058 agree).
    """
    key = ["country", "measure", "scope", "period_start", "period_end"]
    base = normal_text(figure_frame(pkg), key)  # issue 13: compare keys NFC, stripped
    # narrow down by numbers: each claim's key as a 64-bit hash (two keys sharing one only widen the
    # candidates) and its source as a position among the sources; then compare the candidates exactly
    sources = pkg.frame("sources")["source_id"].drop_nulls().unique().sort()
    g = pl.col("g")
    candidates = (
        base.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("i"),
            pl.struct(key).hash().alias("g"),
            pl.col("source_id").cast(pl.Enum(sources), strict=False).alias("s"),
            "value",
            "lo",
            "hi",
        )
        .filter(pl.col("value").is_not_null() & (pl.col("s").n_unique().over(g) > 1))
        .filter(pl.col("lo").max().over(g) > pl.col("hi").min().over(g))
    )
    if candidates.is_empty():
        return []
    f = base.select("figure_id", "source_id", "value", "lo", "hi", *key)[candidates["i"]]
    pairs = f.join(f, on=key, how="inner", nulls_equal=True, suffix="_o").filter(
        (pl.col("source_id") != pl.col("source_id_o"))
        & ((pl.col("lo_o") > pl.col("hi")) | (pl.col("hi_o") < pl.col("lo")))
    )
    others = pairs.group_by("figure_id").agg(
        pl.first("measure"),
        pl.first("period_start"),
        pl.first("period_end"),
        pl.format("{} ({})", pl.col("value_o"), pl.col("figure_id_o")).sort().alias("claims"),
    )
    return [
        warning(
            "claims_agree",
            FIG,
            r["figure_id"],
            "value",
            f"disagrees on {r['measure']} {r['period_start'] or '?'}..{r['period_end'] or '?'} with: "
            + "; ".join(r["claims"]),
        )
        for r in others.sort("figure_id").iter_rows(named=True)
    ]


def _rounded(f: pl.DataFrame) -> pl.DataFrame:
    """The figures' bounds widened by the rounding their written form implies (readable.rounding)."""
    texts = f["value_text"].unique().drop_nulls().to_list()
    half = {t: rounding(t) for t in texts}
    r = pl.col("value_text").replace_strict(half, default=0.0, return_dtype=pl.Float64)
    return f.with_columns(lo_r=pl.col("lo") - r, hi_r=pl.col("hi") + r)


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
    totals = _rounded(f.filter(pl.col("split_into_parts").fill_null(False))).select(
        "figure_id", "lo_r", "hi_r"
    )
    if totals.is_empty():
        return []
    kids = _with_parent(pkg, "measure", child=("lo", "hi"))
    # a split by period lists parts of the total's own measure; a split by kind (AWOL + desertion)
    # lists narrower measures: where parts of the same measure exist, only they count
    same = pl.col("measure") == pl.col("measure_p")
    kids = kids.filter(same | ~same.any().over("parent_figure_id"))
    sums = (
        kids.group_by("parent_figure_id")
        .agg(pl.col("lo").sum().alias("sum_lo"), pl.col("hi").sum().alias("sum_hi"), pl.len().alias("n"))
        .rename({"parent_figure_id": "figure_id"})
    )
    out = []
    for r in totals.join(sums, on="figure_id", how="left").iter_rows(named=True):
        if not r["n"]:
            out.append(
                error(
                    "parts_sum_to_total",
                    FIG,
                    r["figure_id"],
                    "split_into_parts",
                    "is declared split into parts, but no figure names it as parent",
                )
            )
        elif r["sum_lo"] > r["hi_r"] or r["sum_hi"] < r["lo_r"]:
            out.append(
                error(
                    "parts_sum_to_total",
                    FIG,
                    r["figure_id"],
                    "value,split_into_parts",
                    f"its {r['n']} parts add up to {_fmt(r['sum_lo'])}..{_fmt(r['sum_hi'])}, "
                    f"outside its own {_fmt(r['lo_r'])}..{_fmt(r['hi_r'])}",
                )
            )
    return out


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
    rows = _rounded(rows)
    bounds_of = {r[0]: (r[1], r[2]) for r in f.select("figure_id", "lo", "hi").iter_rows()}
    out = []
    for r in rows.iter_rows(named=True):
        fid, kind, ids = r["figure_id"], r["derivation"], (r["derived_from"] or "").split()
        if not kind or not ids:
            out.append(
                error(
                    "derivation_agrees",
                    FIG,
                    fid,
                    "derivation,derived_from",
                    "derivation and derived_from must be given together",
                )
            )
            continue
        missing = [i for i in ids if i not in bounds_of]
        if missing or (kind == "ratio" and len(ids) != 2):
            why = f"names no figure {', '.join(missing)}" if missing else "a ratio needs exactly two figures"
            out.append(error("derivation_agrees", FIG, fid, "derived_from", why))
            continue
        lo, hi = _derive(kind, [bounds_of[i] for i in ids])
        if lo > r["hi_r"] or hi < r["lo_r"]:
            out.append(
                error(
                    "derivation_agrees",
                    FIG,
                    fid,
                    "value,derived_from",
                    f"the {kind} of {' '.join(ids)} is {_fmt(lo)}..{_fmt(hi)}, "
                    f"outside its own {_fmt(r['lo_r'])}..{_fmt(r['hi_r'])}",
                )
            )
    return out


def discrepancy_rows_exist(pkg: Package) -> Iterable[Violation]:
    """Every discrepancy names rows that exist.

    The keys in discrepancies.rows and .evidence must be primary keys of figures, penalties,
    quotes or events. (Until 1.2.0 this rule also checked the disputed flag of figures; that is
    now disputed_means_questioned, for every table.)
    """
    d = pkg.frame("discrepancies")
    out = []
    if not d.is_empty():
        keys = pkg.tables["discrepancies"].keys
        cited = [
            (i, col, k)
            for i, row in enumerate(d.select("rows", "evidence").iter_rows())
            for col, text in zip(("rows", "evidence"), row, strict=True)
            for k in (text or "").split()
        ]
        wanted = pl.Series(sorted({k for *_, k in cited}), dtype=pl.String)
        known = set()  # the cited keys that exist: a scan of each table for a short list, no set of all keys
        for name in ("figures", "penalties", "quotes", "events"):
            if name in pkg.tables:
                table_keys = pkg.tables[name].keys
                known |= set(table_keys.filter(table_keys.is_in(wanted.implode())).to_list())
        for i, col, k in cited:
            if k not in known:
                out.append(
                    error(
                        "discrepancy_rows_exist",
                        "discrepancies",
                        keys[i],
                        col,
                        f"'{k}' is not a row of figures, penalties, quotes or events",
                    )
                )
    return out


DISPUTABLE = ("figures", "penalties", "quotes", "events")


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
        t = pkg.frame(name)
        keys = pkg.tables[name].keys
        named = keys.is_in(wanted.implode()).fill_null(False)
        flag = t["disputed"].cast(pl.Boolean)
        for i in (flag.fill_null(False) & ~named).arg_true().to_list():
            out.append(
                error(
                    "disputed_means_questioned",
                    name,
                    keys[i],
                    "disputed",
                    "is marked disputed, but no discrepancy questions it",
                )
            )
        for i in (named & ~flag.fill_null(True)).arg_true().to_list():
            out.append(
                error(
                    "disputed_means_questioned",
                    name,
                    keys[i],
                    "disputed",
                    f"discrepancy {questioned[keys[i]]} questions it, but it is not marked disputed",
                )
            )
    return out


def period_end_stated_dated(pkg: Package) -> Iterable[Violation]:
    """A period whose end the source states has that end recorded.

    period_end_stated true with an empty period_end contradicts itself: either the source states
    the end (write it) or it does not (period_end_stated false, and period_end our bound).
    """
    f = pkg.frame(FIG)
    keys = pkg.tables[FIG].keys
    bad = (f["period_end_stated"].cast(pl.Boolean).fill_null(False) & f["period_end"].is_null()).arg_true()
    return [
        error(
            "period_end_stated_dated",
            FIG,
            keys[i],
            "period_end_stated,period_end",
            "says the source states the end of the period, but period_end is empty",
        )
        for i in bad.to_list()
    ]


def range_ends_ordered(pkg: Package) -> Iterable[Violation]:
    """A stated range has both ends, the low one first.

    qualifier range requires value_high and value_high_text, and value <= value_high; any other
    qualifier leaves value_high and value_high_text empty (a single number has no high end).
    """
    f = pkg.frame(FIG)
    if "value_high" not in f.columns:
        return []
    keys = pkg.tables[FIG].keys
    ranged = (f["qualifier"].cast(pl.String) == "range").fill_null(False)
    high, high_text = f["value_high"].is_not_null(), f["value_high_text"].is_not_null()
    checks = (
        (
            ranged & ~(high & high_text),
            "value_high,value_high_text",
            "is a range without its high end (value_high and value_high_text)",
        ),
        (
            ~ranged & (high | high_text),
            "qualifier,value_high",
            "has a high end but its qualifier is not range",
        ),
        (
            ranged & (f["value"].cast(pl.Float64) > f["value_high"].cast(pl.Float64)),
            "value,value_high",
            "is a range whose low end exceeds its high end",
        ),
    )
    out = []
    for mask, cols, message in checks:
        for i in mask.fill_null(False).arg_true().to_list():
            out.append(error("range_ends_ordered", FIG, keys[i], cols, message))
    return out


RULES = (
    csv_well_formed,
    rows_match_schema,
    foreign_keys_resolve,
    package_intact,
    schemas_intact,
    files_regular,
    keys_normalised,
    no_spreadsheet_formula,
    subset_within_total,
    parts_within_total,
    period_nested,
    period_ordered,
    cumulative_nondecreasing,
    parent_measure_broader,
    parent_chain_acyclic,
    parent_basis_stated,
    unit_matches_measure,
    claim_unique,
    penalty_terms_ordered,
    excerpt_verbatim,
    value_readable,
    parts_sum_to_total,
    derivation_agrees,
    discrepancy_rows_exist,
    disputed_means_questioned,
    period_end_stated_dated,
    range_ends_ordered,
    claims_agree,
    descriptor_valid,
)
