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
from desertion_data._verify import Verification, verify

__all__ = [
    "PackageError",
    "Verification",
    "__version__",
    "cite",
    "descriptor",
    "load",
    "load_all",
    "names",
    "path",
    "schema",
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
