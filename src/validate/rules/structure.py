"""Rules about the files and single rows: CSV form, schema, keys, the descriptor's record, cells a
spreadsheet would run, and what one row must say of itself."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from desertion_data._read import date_fields, fields
from validate.package import READ_RULE, TYPE_RULE, Package
from validate.report import Violation, error
from validate.rules._common import FIG, ROW, days, parent_index, violations
from validate.rules_descriptor import normal_text


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
            unreal = (
                text.is_not_null()
                & text.str.contains(r"^\d{4}(-\d{2}){0,2}$")
                & days(pkg, name, col, "first").is_null()
            )
            found = violations(
                pkg,
                "rows_match_schema",
                name,
                unreal,
                col,
                lambda r, col=col, path=table.path: f"{path}: {col} '{r[col]}' is not a real date",
            )
            out += [v for v in found if (name, v.key, col) not in seen]
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
                bad = cells.is_not_null() & ~cells.is_in(known)
            out += violations(
                pkg,
                "foreign_keys_resolve",
                name,
                bad,
                col,
                lambda r, col=col, ref=ref_col, target=target: f"{col} '{r[col]}' is not a {ref} in {target}",
            )
    return out


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
            out += violations(
                pkg,
                "no_spreadsheet_formula",
                name,
                table.frame[col].str.contains(r"^[=+\-@]"),
                col,
                lambda r, col=col: f"starts with '{r[col][0]}'; reword or move the character",
            )
    return out


def unit_matches_measure(pkg: Package) -> Iterable[Violation]:
    """A figure is stated in its measure's unit."""
    units = dict(pkg.frame("measures").select("measure", "unit").iter_rows())
    f = pkg.frame(FIG).select("measure", "unit").with_row_index(ROW)
    f = f.with_columns(unit_m=pl.col("measure").replace_strict(units, default=None, return_dtype=pl.String))
    wrong = f.filter(pl.col("unit_m").is_not_null() & (pl.col("unit") != pl.col("unit_m")))
    return violations(
        pkg,
        "unit_matches_measure",
        FIG,
        wrong,
        "unit",
        "unit {unit}, but measure {measure} is counted in {unit_m}",
    )


def claim_unique(pkg: Package) -> Iterable[Violation]:
    """A claim is recorded once: no two figures share source, country, measure, period and value.

    The first row in key order stands; each later duplicate is reported, naming the first.
    """
    key = ["source_id", "country", "measure", "scope", "period_start", "period_end", "value"]
    f = pkg.frame(FIG).with_row_index(ROW).select(ROW, "figure_id", *key)
    f = normal_text(f, key[:-1])  # 'é' composed or not, a trailing space: the same claim
    # rows whose keys hash alike (8 bytes a row to compare), then the exact comparison on those alone
    f = f.filter(pl.struct(key).hash().is_duplicated())
    f = f.filter(pl.struct(key).is_duplicated()).sort("figure_id")
    f = f.with_columns(first=pl.col("figure_id").first().over(key))
    dup = f.filter(pl.col("figure_id") != pl.col("first"))
    return violations(pkg, "claim_unique", FIG, dup, ",".join(key), "repeats the claim of {first}")


def penalty_terms_ordered(pkg: Package) -> Iterable[Violation]:
    """A penalty's shortest term is not longer than its longest: min_years <= max_years.

    (0 <= each term is the schema's minimum, reported by rows_match_schema.)
    """
    p = pkg.frame("penalties")
    if p.is_empty():
        return []
    return violations(
        pkg,
        "penalty_terms_ordered",
        "penalties",
        p["min_years"] > p["max_years"],
        "min_years,max_years",
        "min_years {min_years:g} is above max_years {max_years:g}",
    )


def range_ends_ordered(pkg: Package) -> Iterable[Violation]:
    """A stated range has both ends, the low one first.

    qualifier range requires value_high and value_high_text, and value <= value_high; any other
    qualifier leaves value_high and value_high_text empty (a single number has no high end).
    """
    f = pkg.frame(FIG)
    if "value_high" not in f.columns:
        return []
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
        out += violations(pkg, "range_ends_ordered", FIG, mask, cols, message)
    return out
