"""Record each resource's path, schema, size and SHA-256 in datapackage.json (maintainers run this
after changing data: `nox -s stamp`). It writes the descriptor only, never the data."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

RESOURCE_DEFAULTS = {
    "type": "table",
    "scheme": "file",
    "format": "csv",
    "mediatype": "text/csv",
    "encoding": "utf-8",
}


def stamp_resource(base: Path, res: dict[str, Any]) -> dict[str, Any]:
    """The resource entry with path, schema, bytes and hash (and the schema's hash) from the files.

    Files are read only inside the package (desertion_data._package.contained).
    """
    from desertion_data._package import SCHEMA_HASH, contained

    name = res["name"]
    path = res.get("path", f"data/{name}.csv")
    data = contained(base, path, f"resource {name!r}: path").read_bytes()
    schema = res.get("schema", f"schemas/{name}.schema.json")
    head = {k: res[k] for k in ("name", "title", "description") if k in res}
    out = {
        **head,
        "path": path,
        **RESOURCE_DEFAULTS,
        "schema": schema,
        "bytes": len(data),
        "hash": "sha256:" + hashlib.sha256(data).hexdigest(),
    }
    if isinstance(schema, str):
        text = contained(base, schema, f"resource {name!r}: schema").read_bytes()
        out[SCHEMA_HASH] = "sha256:" + hashlib.sha256(text).hexdigest()
    return out


def dump(descriptor: dict[str, Any]) -> str:
    """The descriptor as the repository stores it: two-space JSON, UTF-8, final newline."""
    return json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"


def stamp(path: Path) -> bool:
    """Update the descriptor at path in place; True if anything changed."""
    before = path.read_text(encoding="utf-8")
    desc = json.loads(before)
    desc["resources"] = [stamp_resource(path.parent, res) for res in desc["resources"]]
    after = dump(desc)
    if after != before:
        path.write_text(after, encoding="utf-8", newline="\n")
    return after != before


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "datapackage.json")
    changed = stamp(path)
    print(f"{path}: {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
