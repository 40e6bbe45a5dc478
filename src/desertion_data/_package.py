"""Where the data package lives, and its descriptor and schemas (standard library only).

Everything read here stays inside the package root: a resource's `path` or `schema` that is
absolute, climbs out with `..` or leads out through a symlink raises PackageError before a byte
of it is read. A descriptor or schema of the wrong shape raises PackageError too, naming the file
and the field, so that no caller meets a KeyError or TypeError from a hostile copy of the package.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib.resources import files
from pathlib import Path, PurePosixPath
from typing import Any

DESCRIPTOR = "datapackage.json"
SCHEMA_HASH = "x-schema-hash"  # resource property: 'sha256:<hex>' of its schema file (nox -s stamp)
MAX_JSON_BYTES = 16 << 20  # a descriptor or schema larger than this is not one of ours
MAX_JSON_DEPTH = 64  # nesting deeper than this is refused before json.loads can recurse


class PackageError(ValueError):
    """The package cannot be used as it is: the message names the file and the field."""


@functools.cache
def root() -> Path:
    """The folder holding datapackage.json: $DESERTION_DATA_ROOT if set, else inside the wheel,
    else the checkout's root."""
    override = os.environ.get("DESERTION_DATA_ROOT")
    if override:
        if not (Path(override) / DESCRIPTOR).is_file():
            raise PackageError(f"DESERTION_DATA_ROOT={override} holds no {DESCRIPTOR}")
        return Path(override)
    bundled = Path(str(files("desertion_data"))) / "package"
    if (bundled / DESCRIPTOR).is_file():
        return bundled
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / DESCRIPTOR).is_file():
        return checkout
    raise PackageError(f"{DESCRIPTOR} is neither in {bundled} nor in {checkout}")


def _depth(text: str) -> int:
    """The deepest nesting of brackets outside strings (so json.loads never recurses too far)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(data: bytes, where: str) -> Any:
    """JSON from UTF-8 bytes, strictly: no NaN or Infinity, no nesting deeper than MAX_JSON_DEPTH."""
    if len(data) > MAX_JSON_BYTES:
        raise PackageError(f"{where}: larger than {MAX_JSON_BYTES >> 20} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackageError(f"{where}: not valid UTF-8 at byte {exc.start}") from None
    if ("[" in text or "{" in text) and _depth(text) > MAX_JSON_DEPTH:
        raise PackageError(f"{where}: JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise PackageError(f"{where}: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise PackageError(f"{where}: {exc}") from None


def read_json(path: Path, where: str | None = None) -> Any:
    """JSON from a UTF-8 file (see parse_json); PackageError if it cannot be read."""
    where = where or str(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_JSON_BYTES + 1)
    except OSError as exc:
        raise PackageError(f"{where}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    return parse_json(data, where)


def contained(base: Path, rel: object, where: str) -> Path:
    """The file `rel` names inside the package at base; PackageError if it would lead outside.

    `rel` must be a relative POSIX path without `..` or a hidden part (`.git/config` may hold a
    token); resolved (symlinks followed) it must still lie inside base. Nothing is read; `where`
    names the descriptor field for the message.
    """
    if not isinstance(rel, str) or not rel:
        raise PackageError(f"{where}: must be a relative path (a non-empty string), not {rel!r}")
    pure = PurePosixPath(rel)
    if not pure.parts or pure.is_absolute() or "\\" in rel or ":" in pure.parts[0] or "\x00" in rel:
        raise PackageError(f"{where}: {rel!r} is not a relative path inside the package")
    if ".." in pure.parts:
        raise PackageError(f"{where}: {rel!r} climbs out of the package with '..'")
    if any(part.startswith(".") for part in pure.parts):
        raise PackageError(f"{where}: {rel!r} names a hidden file or folder (.git, .env...)")
    top = base.resolve()
    target = (base / rel).resolve()
    if not target.is_relative_to(top):
        raise PackageError(f"{where}: {rel!r} leads outside the package (through a symlink)")
    return base / rel


def _resource_entries(desc: Any, where: str) -> list[dict[str, Any]]:
    """The descriptor's resources, each checked for the fields the loader and validator use."""
    if not isinstance(desc, dict):
        raise PackageError(f"{where}: not a JSON object")
    resources = desc.get("resources")
    if not isinstance(resources, list):
        raise PackageError(f"{where}: resources: must be a list")
    seen: set[str] = set()
    for i, res in enumerate(resources):
        at = f"{where}: resources[{i}]"
        if not isinstance(res, dict):
            raise PackageError(f"{at}: must be an object, not {type(res).__name__}")
        name = res.get("name")
        if not isinstance(name, str) or not name:
            raise PackageError(f"{at}.name: must be a non-empty string")
        if name in seen:
            raise PackageError(f"{at}.name: {name!r} names two resources")
        seen.add(name)
        if not isinstance(res.get("path"), str):
            raise PackageError(f"{at}.path: must be a string (resource {name!r})")
        if not isinstance(res.get("schema"), (str, dict)):
            raise PackageError(f"{at}.schema: must be a path or an object (resource {name!r})")
        for prop in ("hash", SCHEMA_HASH):
            algo, sep, _ = str(res.get(prop, "")).rpartition(":")
            if prop in res and (not isinstance(res[prop], str) or (sep and algo not in HASHES)):
                raise PackageError(f"{at}.{prop}: {res[prop]!r} is not 'sha256:...' or another of {HASHES}")
    return resources


HASHES = ("md5", "sha1", "sha256", "sha512")  # fixed-length digests a descriptor may name
TYPES = ("string", "integer", "number", "boolean")  # the field types the reader knows


def check_descriptor(desc: Any, where: str = DESCRIPTOR) -> dict[str, Any]:
    """The descriptor if its resources have the shape the loader needs; else PackageError."""
    _resource_entries(desc, where)
    return desc


def check_schema(schema: Any, where: str) -> dict[str, Any]:
    """A Table Schema of the shape the reader needs (named fields, key lists); else PackageError."""
    if not isinstance(schema, dict):
        raise PackageError(f"{where}: a Table Schema must be an object")
    fields = schema.get("fields")
    if not isinstance(fields, list) or not fields:
        raise PackageError(f"{where}: fields: a Table Schema needs a non-empty list of fields")
    names = []
    for i, f in enumerate(fields):
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"]:
            raise PackageError(f"{where}: fields[{i}]: must be an object with a non-empty 'name'")
        kind = f.get("type", "string")
        if kind not in TYPES:
            raise PackageError(
                f"{where}: fields[{i}].type: {str(kind)[:40]!r} is not one of {', '.join(TYPES)}"
            )
        if not isinstance(f.get("constraints", {}), dict):
            raise PackageError(f"{where}: fields[{i}].constraints: must be an object")
        if f.get("x-reduced-date", "start") not in ("start", "end"):
            raise PackageError(f"{where}: fields[{i}].x-reduced-date: must be 'start' or 'end'")
        names.append(f["name"])
    if len(set(names)) != len(names):
        raise PackageError(f"{where}: fields: a field name is used twice")
    key = schema.get("primaryKey", [])
    if isinstance(key, str):
        key = [key]
    if not isinstance(key, list) or not all(isinstance(k, str) and k in names for k in key):
        raise PackageError(f"{where}: primaryKey: must be a field name or a list of field names")
    fks = schema.get("foreignKeys", [])
    if not isinstance(fks, list):
        raise PackageError(f"{where}: foreignKeys: must be a list")
    for i, fk in enumerate(fks):
        ok = (
            isinstance(fk, dict)
            and _names(fk.get("fields"))
            and isinstance(fk.get("reference"), dict)
            and _names(fk["reference"].get("fields"))
            and isinstance(fk["reference"].get("resource", ""), str)
        )
        if not ok:
            raise PackageError(f"{where}: foreignKeys[{i}]: needs 'fields' and a 'reference' with 'fields'")
    return schema


def _names(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))


@functools.cache
def descriptor() -> dict[str, Any]:
    """The installed datapackage.json as a dict (do not mutate it)."""
    return check_descriptor(read_json(root() / DESCRIPTOR), str(root() / DESCRIPTOR))


def package_sha256() -> str:
    """SHA-256 of the installed datapackage.json, which holds the SHA-256 of every table."""
    return hashlib.sha256((root() / DESCRIPTOR).read_bytes()).hexdigest()


def resource(name: str, package: dict[str, Any] | None = None) -> dict[str, Any]:
    """The descriptor entry of one resource; an unknown name lists the valid ones."""
    resources = (package or descriptor())["resources"]
    for res in resources:
        if res["name"] == name:
            return res
    valid = ", ".join(r["name"] for r in resources)
    raise KeyError(f"no table named {name!r}; the tables are: {valid}")


def data_path(res: dict[str, Any], base: Path | None = None) -> Path:
    """The file of a resource, inside the package (PackageError otherwise)."""
    return contained(base or root(), res["path"], f"{DESCRIPTOR}: resource {res['name']!r}: path")


def table_schema(res: dict[str, Any], base: Path | None = None) -> dict[str, Any]:
    """The Table Schema of a resource, following a path reference inside the package."""
    schema = res["schema"]
    where = f"{DESCRIPTOR}: resource {res['name']!r}: schema"
    if isinstance(schema, str):
        file = contained(base or root(), schema, where)
        return check_schema(read_json(file, schema), schema)
    return check_schema(schema, where)
