"""pandera schemas derived from the Table Schemas in `schemas/`: no second copy of any column list.

pandera's own frictionless converter is pinned to frictionless 4, so this small function maps
Table Schema constraints to pandera columns itself: required -> not nullable, unique, enum -> isin,
pattern -> str_matches (anchored), minimum/maximum -> ge/le, minLength -> str_length,
primaryKey -> unique over its fields.
"""

from __future__ import annotations

from typing import Any

import pandera.polars as pa
import polars as pl

from desertion_data._read import fields

DTYPES = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean}


def _anchored(pattern: str) -> str:
    # Table Schema patterns match the whole value (XML Schema semantics)
    return f"^(?:{pattern.removeprefix('^').removesuffix('$')})$"


def column(field: dict[str, Any]) -> pa.Column:
    """A pandera column for one Table Schema field."""
    c = field.get("constraints", {})
    checks = []
    if c.get("enum") is not None:
        checks.append(pa.Check.isin(c["enum"]))
    if "pattern" in c:
        checks.append(pa.Check.str_matches(_anchored(c["pattern"])))
    if "minimum" in c:
        checks.append(pa.Check.ge(c["minimum"]))
    if "maximum" in c:
        checks.append(pa.Check.le(c["maximum"]))
    if "minLength" in c:
        checks.append(pa.Check.str_length(min_value=c["minLength"]))
    return pa.Column(
        DTYPES[field.get("type", "string")],
        checks=checks,
        nullable=not c.get("required", False),
        unique=bool(c.get("unique", False)),
        coerce=False,
        required=True,
    )


def dataframe_schema(name: str, schema: dict[str, Any]) -> pa.DataFrameSchema:
    """The pandera schema of a table, from its Table Schema."""
    key = schema.get("primaryKey", [])
    return pa.DataFrameSchema(
        {f["name"]: column(f) for f in fields(schema)},
        name=name,
        unique=key if len(key) > 1 else None,
        strict=True,
        ordered=True,
    )


def describe(check: str, field: dict[str, Any]) -> str:
    """Plain words for a pandera check name, with the constraint's value."""
    c = field.get("constraints", {})
    if check == "not_nullable":
        return "is required but empty"
    if check in ("field_uniqueness", "multiple_fields_uniqueness"):
        return "must be unique but repeats"
    if check.startswith("isin"):
        return f"must be one of {', '.join(map(str, c.get('enum', [])))}"
    if check.startswith("str_matches"):
        return f"must match the pattern {c.get('pattern')}"
    if check.startswith("greater_than_or_equal_to"):
        return f"must be at least {c.get('minimum')}"
    if check.startswith("less_than_or_equal_to"):
        return f"must be at most {c.get('maximum')}"
    if check.startswith("str_length"):
        return f"must be at least {c.get('minLength')} characters"
    return f"fails {check}"
