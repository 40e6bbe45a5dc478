"""Typed reading of the package's CSV files with pyarrow, driven by their Table Schemas.

This is the one reader: the loader (pandas or polars) and the validator both type the tables
through it, so no column list or type is written anywhere but in `schemas/`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ARROW_TYPES = {
    "string": pa.string(),
    "integer": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
}
TRUE_VALUES = ["true"]
FALSE_VALUES = ["false"]
DATE_KEY = "x-reduced-date"  # field property: "start" (reads as first day) or "end" (last day)


def fields(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's field descriptors, in order."""
    return list(schema["fields"])


def arrow_type(field: dict[str, Any]) -> pa.DataType:
    """The Arrow type of a Table Schema field."""
    return ARROW_TYPES[field.get("type", "string")]


def date_fields(schema: dict[str, Any]) -> dict[str, str]:
    """Reduced-precision date fields and whether each reads as a start or an end."""
    return {f["name"]: f[DATE_KEY] for f in fields(schema) if DATE_KEY in f}


def read_options(schema: dict[str, Any], *, as_text: bool = False, on_invalid=None):
    """pyarrow read, parse and convert options for a CSV described by the schema."""
    names = [f["name"] for f in fields(schema)]
    types = {f["name"]: pa.string() if as_text else arrow_type(f) for f in fields(schema)}
    read = pacsv.ReadOptions(use_threads=True, block_size=1 << 24)
    parse = pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=on_invalid)
    convert = pacsv.ConvertOptions(
        column_types=types,
        include_columns=None if as_text else names,
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=True,
        true_values=TRUE_VALUES,
        false_values=FALSE_VALUES,
    )
    return read, parse, convert


def read_table(path: Path, schema: dict[str, Any]) -> pa.Table:
    """The CSV at path as an Arrow table typed from its Table Schema (empty cells are null)."""
    read, parse, convert = read_options(schema)
    return pacsv.read_csv(path, read_options=read, parse_options=parse, convert_options=convert)


def first_day(text: pa.Array) -> pa.Array:
    """First day of each reduced-precision date ('2024' -> 2024-01-01); null if absent or impossible."""
    return day_bounds(text)[0]


def last_day(text: pa.Array) -> pa.Array:
    """Last day of each reduced-precision date ('2024-02' -> 2024-02-29); null if absent or impossible."""
    return day_bounds(text)[1]


def day_bounds(text: pa.Array) -> tuple[pa.Array, pa.Array]:
    """First and last day each reduced-precision date covers, as date32 (null if absent or impossible)."""
    text = pc.cast(text, pa.string())
    padded = pc.utf8_slice_codeunits(pc.binary_join_element_wise(text, "-01-01", ""), 0, 10)
    parsed = pc.strptime(padded, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2025-02-30 over to March: keep only dates whose day is the day written
    written = pc.cast(pc.utf8_slice_codeunits(padded, 8, 10), pa.int64(), safe=False)
    first = pc.if_else(pc.equal(pc.day(parsed), written), parsed, pa.scalar(None, parsed.type))
    length = pc.utf8_length(text)
    day = pa.scalar(86400, pa.duration("s"))
    next_month = pc.floor_temporal(pc.add(first, pa.scalar(31 * 86400, pa.duration("s"))), unit="month")
    next_year = pc.floor_temporal(pc.add(first, pa.scalar(366 * 86400, pa.duration("s"))), unit="year")
    last = pc.case_when(
        pc.make_struct(pc.equal(length, 4), pc.equal(length, 7)),
        pc.subtract(next_year, day),
        pc.subtract(next_month, day),
        first,
    )
    return pc.cast(first, pa.date32()), pc.cast(last, pa.date32())


def with_date_columns(table: pa.Table, schema: dict[str, Any]) -> pa.Table:
    """Add `<field>_date` for each reduced-precision date: a start's first day, an end's last day."""
    for name, side in date_fields(schema).items():
        col = table.column(name)
        day = first_day(col) if side == "start" else last_day(col)
        table = table.append_column(pa.field(f"{name}_date", pa.date32()), day)
    return table
