"""Desertion and AWOL in the Russia–Ukraine war: figures, penalties and quotes, each traceable to its source.

>>> import desertion_data as dd
>>> figures = dd.load("figures")          # a typed pandas DataFrame
>>> dd.names()                             # the tables
>>> print(dd.cite())                       # how to cite this release

Importing this module is instant: pandas and pyarrow load when a table is first asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from desertion_data._package import PackageError as PackageError
from desertion_data._package import data_path as _data_path
from desertion_data._package import descriptor as _descriptor
from desertion_data._package import package_sha256 as package_sha256
from desertion_data._package import resource as _resource
from desertion_data._package import table_schema as _table_schema

if TYPE_CHECKING:
    import pandas
    import polars

from desertion_data._cite import cite
from desertion_data._export import ExportError
from desertion_data._verify import Verification, verify

__all__ = [
    "ExportError",
    "PackageError",
    "Verification",
    "__version__",
    "cite",
    "codebook",
    "descriptor",
    "export",
    "load",
    "load_all",
    "names",
    "path",
    "schema",
    "series",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _descriptor()["version"]
    raise AttributeError(f"module 'desertion_data' has no attribute {name!r}")


def descriptor() -> dict[str, Any]:
    """A copy of the data package descriptor (datapackage.json) as a dict."""
    import copy

    return copy.deepcopy(_descriptor())


def names() -> list[str]:
    """The names of the tables, in the descriptor's order."""
    return [res["name"] for res in _descriptor()["resources"]]


def path(name: str) -> Path:
    """The path of a table's CSV file. Raises KeyError listing the valid names, PackageError if the
    descriptor points outside the package."""
    return _data_path(_resource(name))


def schema(name: str) -> dict[str, Any]:
    """The Table Schema of a table as a dict. Raises KeyError listing the valid names."""
    return _table_schema(_resource(name))


def load(name: str, backend: Literal["pandas", "polars"] = "pandas") -> pandas.DataFrame | polars.DataFrame:
    """One table as a DataFrame typed from its Table Schema.

    Integers and numbers are nullable (pandas `Int64`, `Float64`), text is `string`, booleans
    `boolean`. Reduced-precision dates ('2024', '2024-09', '2024-09-15') are kept as written, and
    each gets a `<field>_date` column for filtering: the first day of a start (`period_start`,
    `effective_from`, `published`), the last day of an end (`period_end`, `effective_to`).

    `backend="polars"` returns a polars DataFrame (install the `polars` extra).
    Raises KeyError, listing the valid names, for an unknown table; PackageError (a ValueError)
    naming the file, row and field when the package is unusable: a path leading outside it, a
    malformed descriptor or schema, or a file the validator would refuse.
    """
    from desertion_data._read import read_table, with_date_columns

    res = _resource(name)
    table_schema = _table_schema(res)
    table = with_date_columns(read_table(_data_path(res), table_schema, res["path"]), table_schema)
    if backend == "polars":
        try:
            import polars as pl
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("backend='polars' needs polars: pip install 'desertion-data[polars]'") from exc
        return pl.from_arrow(table)
    if backend != "pandas":
        raise ValueError(f"backend must be 'pandas' or 'polars', not {backend!r}")
    import pandas as pd
    import pyarrow as pa

    mapping = {
        pa.string(): pd.StringDtype(),
        pa.int64(): pd.Int64Dtype(),
        pa.float64(): pd.Float64Dtype(),
        pa.bool_(): pd.BooleanDtype(),
    }
    return table.to_pandas(types_mapper=mapping.get, date_as_object=False)


def load_all(backend: Literal["pandas", "polars"] = "pandas") -> dict[str, Any]:
    """Every table, by name, as `load` returns it."""
    return {name: load(name, backend=backend) for name in names()}


def series(
    country: str | None = None,
    measure: str | None = None,
    freq: Literal["year", "month", "span"] | None = None,
    backend: Literal["pandas", "polars"] = "pandas",
) -> pandas.DataFrame | polars.DataFrame:
    """The series table: one best value per country, measure and period, with its low-high range.

    Filter by country ('UA', 'RU'), measure ('awol_cases', see load('measures')) and freq ('year',
    'month', 'span'); rows come sorted by country, measure and period. `figure_ids` lists the
    claims behind each value; `method` and `notes` say how it was chosen or derived.
    """
    frame = load("series", backend=backend)
    wanted = {"country": country, "measure": measure, "freq": freq}
    if backend == "polars":
        import polars as pl

        for col, value in wanted.items():
            if value is not None:
                frame = frame.filter(pl.col(col) == value)
        return frame
    for col, value in wanted.items():
        if value is not None:
            frame = frame[frame[col] == value]
    return frame.reset_index(drop=True)


def codebook(format: Literal["frame", "md", "csv"] = "frame") -> pandas.DataFrame | str:
    """The codebook, generated from the schemas: one row per field of every table (and per `_date`
    column the loader adds) with its type, constraints, allowed values with their meanings, and
    description. `format="md"` gives Markdown (docs/codebook.md), `"csv"` CSV text."""
    from desertion_data import _codebook

    schemas = {name: schema(name) for name in names()}
    if format == "md":
        return _codebook.markdown(_descriptor(), schemas)
    if format == "csv":
        return _codebook.csv_text(_descriptor(), schemas)
    if format != "frame":
        raise ValueError(f"format must be 'frame', 'md' or 'csv', not {format!r}")
    import pandas as pd

    return pd.DataFrame(
        _codebook.rows(_descriptor(), schemas), columns=list(_codebook.COLUMNS), dtype="string"
    )


def export(
    format: Literal["csv", "parquet", "xlsx", "sqlite"],
    out: str | Path,
    force: bool = False,
    tables: list[str] | None = None,
) -> list[Path]:
    """Write the tables (all, or those named) to `out`: a folder of CSV or Parquet files, or one XLSX
    or SQLite file; SQLite also gets Datasette metadata, `X.metadata.json` beside `X.db`.

    Keys, types and descriptions are kept: SQLite gets primary and foreign keys and indexes, Parquet
    typed dates and each field's description, XLSX typed cells, a frozen header, filters and a
    codebook sheet; CSV is written in the package's own dialect. Nothing is written outside `out`,
    a symbolic link there is refused, and existing files are replaced only with `force=True`.
    Returns the files written; raises `desertion_data.ExportError` with a one-line reason.
    """
    from desertion_data._export import export as _export

    return _export(format, out, force=force, tables=tables)
