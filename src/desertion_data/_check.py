"""A light check of the descriptor and schemas before a command runs, so a bad package gets one line
naming the file and field instead of a traceback. Reads no table and nothing outside the package."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TYPES = ("string", "integer", "number", "boolean")


def _json(file: Path) -> tuple[Any, str | None]:
    try:
        return json.loads(file.read_text(encoding="utf-8")), None
    except FileNotFoundError:
        return None, f"{file}: file not found"
    except OSError as exc:
        return None, f"{file}: cannot be read: {exc.strerror or exc}"
    except UnicodeDecodeError as exc:
        return None, f"{file}: byte {exc.start}: not valid UTF-8"
    except json.JSONDecodeError as exc:
        return None, f"{file}: line {exc.lineno} column {exc.colno}: not valid JSON ({exc.msg})"
    except RecursionError:
        return None, f"{file}: JSON nested too deeply"


def _inside(root: Path, relative: str) -> bool:
    if not relative or Path(relative).is_absolute():
        return False
    try:
        (root / relative).resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _schema_problem(file: Path, schema: Any) -> str | None:
    if not isinstance(schema, dict):
        return f"{file}: a Table Schema must be a JSON object"
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        return f"{file}: field 'fields' must be a non-empty list"
    for j, field in enumerate(fields):
        if not isinstance(field, dict) or not isinstance(field.get("name"), str) or not field["name"]:
            return f"{file}: fields[{j}].name is missing or not text"
        kind = field.get("type", "string")
        if kind not in TYPES:
            return f"{file}: fields[{j}].type {kind!r} ({field['name']}) is not one of {', '.join(TYPES)}"
        if not isinstance(field.get("constraints", {}), dict):
            return f"{file}: fields[{j}].constraints ({field['name']}) must be an object"
    for key in ("primaryKey", "foreignKeys"):
        if key in schema and not isinstance(schema[key], (str, list)):
            return f"{file}: field {key!r} must be a name or a list"
    return None


def problem() -> str | None:
    """The first thing that keeps the package from being used, in one line, or None."""
    from desertion_data._package import DESCRIPTOR, root

    try:
        base = root()
    except (OSError, ValueError) as exc:
        return str(exc)
    file = base / DESCRIPTOR
    desc, bad = _json(file)
    if bad:
        return bad
    if not isinstance(desc, dict):
        return f"{file}: a descriptor must be a JSON object"
    for key in ("name", "version"):
        if not isinstance(desc.get(key), str) or not desc[key]:
            return f"{file}: field {key!r} is missing or not text"
    resources = desc.get("resources")
    if not isinstance(resources, list) or not resources:
        return f"{file}: field 'resources' must be a non-empty list"
    seen = set()
    for i, res in enumerate(resources):
        if not isinstance(res, dict):
            return f"{file}: resources[{i}] must be an object"
        for key in ("name", "path"):
            if not isinstance(res.get(key), str) or not res[key]:
                return f"{file}: resources[{i}].{key} is missing or not text"
        if res["name"] in seen:
            return f"{file}: resources[{i}].name {res['name']!r} is used twice"
        seen.add(res["name"])
        if not _inside(base, res["path"]):
            return f"{file}: resources[{i}].path {res['path']!r} leaves the package folder"
        schema = res.get("schema")
        if isinstance(schema, str):
            if not _inside(base, schema):
                return f"{file}: resources[{i}].schema {schema!r} leaves the package folder"
            schema_file = base / schema
            schema, bad = _json(schema_file)
            if bad:
                return bad
        elif isinstance(schema, dict):
            schema_file = Path(f"{file}: resources[{i}].schema")
        else:
            return f"{file}: resources[{i}].schema must be a path or an object"
        bad = _schema_problem(schema_file, schema)
        if bad:
            return bad
    return None


def table_problem(name: str, exc: BaseException) -> str:
    """Why a table could not be read, in one line naming its file and, for a missing column, the column."""
    import csv

    import desertion_data as dd

    file = dd.path(name)
    if not file.is_file():
        return f"{file}: file not found (table {name})"
    try:
        with file.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        return f"{file}: cannot be read: {err}"
    missing = [f["name"] for f in dd.schema(name)["fields"] if f["name"] not in header]
    if missing:
        return f"{file}: line 1: column {missing[0]!r} of the schema is missing from the header"
    text = str(exc).strip()
    return f"{file}: cannot be read: {text.splitlines()[0] if text else type(exc).__name__}"
