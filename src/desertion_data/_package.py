"""Where the data package lives, and its descriptor and schemas (standard library only)."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib.resources import files
from pathlib import Path
from typing import Any

DESCRIPTOR = "datapackage.json"


@functools.cache
def root() -> Path:
    """The folder holding datapackage.json: $DESERTION_DATA_ROOT if set, else inside the wheel,
    else the checkout's root."""
    override = os.environ.get("DESERTION_DATA_ROOT")
    if override:
        if not (Path(override) / DESCRIPTOR).is_file():
            raise FileNotFoundError(f"DESERTION_DATA_ROOT={override} holds no {DESCRIPTOR}")
        return Path(override)
    bundled = Path(str(files("desertion_data"))) / "package"
    if (bundled / DESCRIPTOR).is_file():
        return bundled
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / DESCRIPTOR).is_file():
        return checkout
    raise FileNotFoundError(f"{DESCRIPTOR} is neither in {bundled} nor in {checkout}")


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a UTF-8 file."""
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


@functools.cache
def descriptor() -> dict[str, Any]:
    """The installed datapackage.json as a dict (do not mutate it)."""
    return read_json(root() / DESCRIPTOR)


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


def table_schema(res: dict[str, Any], base: Path | None = None) -> dict[str, Any]:
    """The Table Schema of a resource, following a path reference."""
    schema = res["schema"]
    if isinstance(schema, str):
        return read_json((base or root()) / schema)
    return schema
