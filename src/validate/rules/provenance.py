"""Rules about what the sources say: every excerpt is in its source text, and every number is
written in its excerpt as recorded."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from validate.package import Package
from validate.readable import ABS_TOL, REL_TOL, numbers_in, parse_number, range_low
from validate.report import RuleSkipped, Violation
from validate.rules._common import FIG, ROW, violations

TEXT_COLUMNS = {"figures": "excerpt", "penalties": "excerpt", "quotes": "text", "events": "excerpt"}


def source_texts(pkg: Package) -> dict[str, str]:
    """Source texts by source_id, found by their SHA-256 among the files of the sources folder."""
    if "texts" not in pkg.cache:
        folder = Path(pkg.sources_dir)
        by_hash = {}
        for file in sorted(folder.iterdir()):
            if file.is_file():
                by_hash[hashlib.sha256(file.read_bytes()).hexdigest()] = file
        texts, read = {}, {}  # many sources may share one text: each file is read once
        for sid, sha in pkg.frame("sources").select("source_id", "sha256").iter_rows():
            if sha in by_hash:
                if sha not in read:
                    read[sha] = by_hash[sha].read_text(encoding="utf-8")
                texts[sid] = read[sha]
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
    out = violations(
        pkg,
        "excerpt_verbatim",
        "sources",
        ~pkg.frame("sources")["source_id"]
        .is_in(pl.Series(list(texts), dtype=pl.String).implode())
        .fill_null(False),
        "sha256",
        lambda _: f"no file in {pkg.sources_dir} has this SHA-256",
    )
    # each distinct text once, and each source as the number of its text: a text is never copied
    # per source or per row, and each distinct (text, excerpt) pair is searched once
    distinct = list({id(t): t for t in texts.values()}.values())
    number = {id(t): n for n, t in enumerate(distinct)}
    which = pl.DataFrame(
        {"source_id": list(texts), "_t": [number[id(t)] for t in texts.values()]},
        schema={"source_id": pl.String, "_t": pl.UInt32},
    )
    by_number = pl.DataFrame(
        {"_t": range(len(distinct)), "_text": distinct}, schema={"_t": pl.UInt32, "_text": pl.String}
    )
    for name, col in TEXT_COLUMNS.items():
        t = pkg.frame(name)
        if t.is_empty():
            continue
        j = t.select("source_id", col).with_row_index(ROW).join(which, on="source_id", how="inner")
        pairs = j.select("_t", col).filter(pl.col(col).is_not_null()).unique().join(by_number, on="_t")
        missing = pairs.filter(~pl.col("_text").str.contains(pl.col(col), literal=True)).select("_t", col)
        bad = j.join(missing, on=["_t", col], how="semi").sort(ROW)
        out += violations(
            pkg,
            "excerpt_verbatim",
            name,
            bad.select(ROW, "source_id", col),
            col,
            lambda r, col=col: f"not found verbatim in {r['source_id']}: '{r[col][:60]}'",
        )
    return out


def value_readable(pkg: Package) -> Iterable[Violation]:
    """Each figure's value can be read in its excerpt, and each penalty's terms in its excerpt.

    `value_text` must occur in the excerpt and read as `value` (and a range's `value_high_text`
    as `value_high`) (validate.readable.parse_number:
    '235,000', '202 997', 'one in three', 'tenfold', '10%', '60 тисяч'); ratios to six decimals.
    A penalty's min_years and max_years must each be a number written in its excerpt.
    """
    rule = "value_readable"
    out = []
    f = pkg.frame(FIG)
    if not f.is_empty():
        text = pl.col("value_text")
        # thousands grouped by dots ('21.000') are not decimals: they go to the number reader
        plain = text.str.contains(r"^\d{1,3}(,\d{3})+(\.\d+)?$|^\d+(\.\d+)?$") & ~text.str.contains(
            r"^\d{1,3}(\.\d{3})+$"
        )
        checked = (
            f.select(
                "value_text",
                "value",
                present=pl.col("excerpt").str.contains(text, literal=True),
                fast=pl.when(plain).then(text.str.replace_all(",", "").cast(pl.Float64, strict=False)),
            )
            .with_row_index(ROW)
            .filter(text.is_not_null() & pl.col("value").is_not_null())
        )
        out += violations(
            pkg,
            rule,
            FIG,
            checked.filter(~pl.col("present").fill_null(False)),
            "value_text,excerpt",
            "'{value_text}' does not occur in the excerpt",
        )
        present = checked.filter(pl.col("present").fill_null(False))
        slow = present.filter(pl.col("fast").is_null())["value_text"].unique().to_list()
        read = {t: parse_number(t) for t in slow}
        stated = present.with_columns(
            stated=pl.coalesce("fast", text.replace_strict(read, default=None, return_dtype=pl.Float64))
        )
        if "value_high_text" in f.columns:  # '17–18 тисяч': the low end takes the high end's scale word
            ranged = f.select("value_text", "value_high_text").with_row_index("_i")
            ranged = ranged.filter(
                pl.col("value_high_text").is_not_null() & pl.col("value_text").is_not_null()
            )
            lows = {i: range_low(t, h) for i, t, h in ranged.iter_rows()}
            if lows:
                low = pl.col("_i").replace_strict(lows, default=None, return_dtype=pl.Float64)
                stated = stated.with_columns(stated=pl.coalesce(low, "stated"))
        gap = (pl.col("stated") - pl.col("value")).abs()
        scale = pl.max_horizontal(pl.col("stated").abs(), pl.col("value").abs())
        close = (gap <= pl.max_horizontal(pl.lit(ABS_TOL), REL_TOL * scale)).fill_null(False)
        out += violations(
            pkg,
            rule,
            FIG,
            stated.filter(~close),
            "value,value_text",
            lambda r: (
                f"'{r['value_text']}' "
                + ("cannot be read as a number" if r["stated"] is None else f"reads as {r['stated']:g}")
                + f", not {r['value']:g}"
            ),
        )
        if "value_high_text" in f.columns:
            highs = f.select("excerpt", "value_high_text", "value_high").with_row_index(ROW)
            highs = highs.filter(pl.col("value_high_text").is_not_null())
            wrong = []
            for i, excerpt, t, high in highs.select(
                ROW, "excerpt", "value_high_text", "value_high"
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
                wrong.append((i, message))
            bad = pl.DataFrame(wrong, schema={ROW: pl.UInt32, "message": pl.String}, orient="row")
            out += violations(pkg, rule, FIG, bad, "value_high,value_high_text", "{message}")
    p = pkg.frame("penalties")
    if not p.is_empty():
        wrong = []
        for i, row in enumerate(p.select("excerpt", "min_years", "max_years").iter_rows()):
            written = numbers_in(row[0] or "")
            for col, term in zip(("min_years", "max_years"), row[1:], strict=True):
                if term is not None and term not in written:
                    wrong.append((i, col, f"{col} {term:g} is not a number written in the excerpt"))
        for col in ("min_years", "max_years"):
            bad = pl.DataFrame(
                [(i, m) for i, c, m in wrong if c == col],
                schema={ROW: pl.UInt32, "message": pl.String},
                orient="row",
            )
            out += violations(pkg, rule, "penalties", bad, col, "{message}")
    return out
