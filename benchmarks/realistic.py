"""A realistic package of any size, grown from the real one: every source cloned with its figures.

Each round clones every real source under a new source_id ('<id>-c00001') with its own row in
sources (its own file name and SHA-256), and every figure of that source under a new figure_id
('<source>-c00001-f03'), its parent and derived_from inputs renamed the same way; the
discrepancies are cloned with the figures they name, so that every disputed clone is questioned.
Rows keep their real width and text (excerpts, notes); only ids change. OUT_DIR/grown.json
records the number of figures. Many sources now state
the same claim: a claim stated by k real sources is stated by k x rounds, so claim groups grow
with the package. Penalties, quotes, events, measures and reporting bodies are the real tables.

The clones' source texts are not written (each would need its own file, as SHA-256 is unique):
validate the grown package without --sources; excerpt_verbatim is then reported as skipped.

    python benchmarks/realistic.py OUT_DIR N_FIGURES
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from validate.stamp import dump, stamp_resource  # noqa: E402

FIGURE_KEY = r"-(f[0-9]{2,})\b"  # the figure part of a figure id: '<source_id>-f03'


def write_series(out: Path, desc: dict) -> None:
    """data/series.csv as `nox -s series` would write it for this package (the rule series_current
    rebuilds it on every run, so a valid package carries the fresh build)."""
    from validate.series import build, tables_of, to_csv

    (out / "data" / "series.csv").write_text(to_csv([]), encoding="utf-8")
    (out / "datapackage.json").write_text(dump(desc), encoding="utf-8")
    (out / "data" / "series.csv").write_text(
        to_csv(build(tables_of(out / "datapackage.json"))), encoding="utf-8"
    )


def _read(table: str) -> pl.DataFrame:
    return pl.read_csv(ROOT / "data" / f"{table}.csv", infer_schema=False)


def _clone(frame: pl.DataFrame, rounds: int, build) -> pl.DataFrame:
    return pl.concat([build(frame, f"c{r:05d}", r) for r in range(1, rounds + 1)], rechunk=True)


def grow(out: Path, n: int) -> int:
    """Write a package of about n figures (the real ones and whole rounds of clones) to out."""
    figures, sources, found = _read("figures"), _read("sources"), _read("discrepancies")
    rounds = max(0, round(n / figures.height) - 1)

    def fig_ids(col: str, tag: str) -> pl.Expr:
        return pl.col(col).str.replace_all(FIGURE_KEY, f"-{tag}-$1")

    def clone_figures(f: pl.DataFrame, tag: str, _r: int) -> pl.DataFrame:
        return f.with_columns(
            figure_id=fig_ids("figure_id", tag),
            source_id=pl.col("source_id") + f"-{tag}",
            parent_figure_id=fig_ids("parent_figure_id", tag),
            derived_from=fig_ids("derived_from", tag),
        )

    def clone_sources(s: pl.DataFrame, tag: str, _r: int) -> pl.DataFrame:
        return s.with_columns(
            source_id=pl.col("source_id") + f"-{tag}",
            file=pl.col("file").str.replace(r"\.txt$", f"-{tag}.txt"),
            sha256=pl.col("sha256").map_elements(
                lambda sha, tag=tag: hashlib.sha256(f"{sha} {tag}".encode()).hexdigest(),
                return_dtype=pl.String,
            ),
        )

    def clone_discrepancies(d: pl.DataFrame, tag: str, r: int) -> pl.DataFrame:
        return d.with_columns(
            discrepancy_id=pl.lit(f"d{r:05d}") + pl.col("discrepancy_id").str.slice(1),
            rows=fig_ids("rows", tag),
            evidence=fig_ids("evidence", tag),
        )

    tables = {
        "figures": pl.concat([figures, _clone(figures, rounds, clone_figures)]),
        "sources": pl.concat([sources, _clone(sources, rounds, clone_sources)]),
        "discrepancies": pl.concat([found, _clone(found, rounds, clone_discrepancies)]),
    }
    shutil.rmtree(out, ignore_errors=True)
    (out / "data").mkdir(parents=True)
    shutil.copytree(ROOT / "schemas", out / "schemas")
    desc = json.loads((ROOT / "datapackage.json").read_text(encoding="utf-8"))
    for res in desc["resources"]:
        target = out / res["path"]
        if res["name"] in tables:
            tables[res["name"]].write_csv(target, line_terminator="\n")
        else:
            shutil.copy(ROOT / res["path"], target)
    write_series(out, desc)
    desc["resources"] = [stamp_resource(out, res) for res in desc["resources"]]
    (out / "datapackage.json").write_text(dump(desc), encoding="utf-8")
    (out / "grown.json").write_text(json.dumps({"figures": tables["figures"].height}), encoding="utf-8")
    return tables["figures"].height


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", type=Path)
    p.add_argument("n", type=int)
    args = p.parse_args(argv)
    print(f"{args.out}: {grow(args.out, args.n)} figures")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
