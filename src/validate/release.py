"""Releases: manifests, the diff since a release, the guarded release step and a reproducible build.

    python -m validate.release diff [VERSION]     rows added, removed and changed since VERSION
    python -m validate.release make X.Y.Z [DATE]  refuse or release (sets the version everywhere)
    python -m validate.release zip                dist/desertion-data-X.Y.Z.zip and dist/SHA256SUMS

A manifest `releases/<version>.json` holds the version, date, each resource's SHA-256, size and
fields, and a SHA-256 per row keyed by primary key. A row's hash covers the fields of the manifest
it is compared with, so adding a column does not count as changing every row.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desertion_data._package import (
    PackageError,
    check_descriptor,
    contained,
    data_path,
    read_json,
    table_schema,
)
from validate.stamp import dump, stamp

BUMPS = ("none", "patch", "minor", "major")
UNRELEASED = "## [Unreleased]"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class ReleaseRefused(Exception):
    """The release cannot go ahead; the message says why."""


def row_hash(record: dict[str, str | None], names: list[str]) -> str:
    """SHA-256 of a row's cells for these fields (a field the row lacks counts as absent)."""
    cells = [[n, record.get(n)] for n in names]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode("utf-8")).hexdigest()


def read_rows(root: Path, res: dict[str, Any]) -> tuple[list[str], list[dict[str, str]]]:
    """The key fields and rows of a resource, cells as written."""
    schema = table_schema(res, root)
    with data_path(res, root).open(encoding="utf-8", newline="") as fh:
        return schema.get("primaryKey", []), list(csv.DictReader(fh))


def manifest(root: Path, version: str | None = None, date: str | None = None) -> dict[str, Any]:
    """The manifest of the package at root as it is now."""
    desc = check_descriptor(read_json(root / "datapackage.json"))
    resources = {}
    for res in desc["resources"]:
        schema = table_schema(res, root)  # inside the package only (PackageError otherwise)
        names = [f["name"] for f in schema["fields"]]
        key, rows = read_rows(root, res)
        data = data_path(res, root).read_bytes()
        resources[res["name"]] = {
            "path": res["path"],
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "schema_sha256": hashlib.sha256(
                contained(root, res["schema"], "schema").read_bytes()
            ).hexdigest(),
            "fields": [{"name": f["name"], "type": f.get("type", "string")} for f in schema["fields"]],
            "primaryKey": key,
            "rows": {",".join(r[k] for k in key): row_hash(r, names) for r in rows},
        }
    return {
        "version": version or desc["version"],
        "date": date or desc["created"][:10],
        "package_sha256": hashlib.sha256((root / "datapackage.json").read_bytes()).hexdigest(),
        "resources": resources,
    }


@dataclass
class TableDiff:
    """What changed in one table since a release."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    columns_added: list[str] = field(default_factory=list)
    columns_removed: list[str] = field(default_factory=list)
    retyped: list[str] = field(default_factory=list)


@dataclass
class Diff:
    """What changed in the package since a release, and the smallest bump that allows it."""

    since: str
    tables: dict[str, TableDiff] = field(default_factory=dict)
    tables_added: list[str] = field(default_factory=list)
    tables_removed: list[str] = field(default_factory=list)
    metadata_changed: bool = False

    @property
    def required(self) -> str:
        t = self.tables.values()
        if self.tables_removed or any(d.removed or d.columns_removed or d.retyped for d in t):
            return "major"
        if self.tables_added or any(d.added or d.columns_added for d in t):
            return "minor"
        if self.metadata_changed or any(d.changed for d in t):
            return "patch"
        return "none"

    def to_text(self) -> str:
        lines = [f"since {self.since}:"]
        lines += [f"  table added: {n}" for n in self.tables_added]
        lines += [f"  table removed: {n}" for n in self.tables_removed]
        for name, d in self.tables.items():
            parts = [
                f"{len(d.added)} added",
                f"{len(d.removed)} removed",
                f"{len(d.changed)} changed",
            ]
            lines.append(f"  {name}: " + ", ".join(parts))
            for label, keys in (
                ("added", d.added),
                ("removed", d.removed),
                ("changed", d.changed),
                ("column added", d.columns_added),
                ("column removed", d.columns_removed),
                ("column retyped", d.retyped),
            ):
                lines += [f"    {label}: {k}" for k in keys]
        if self.metadata_changed:
            lines.append("  descriptor or schema metadata changed")
        lines.append(f"smallest version bump required: {self.required}")
        return "\n".join(lines)


def diff(old: dict[str, Any], root: Path) -> Diff:
    """Compare the package at root with a release manifest."""
    new = manifest(root)
    out = Diff(since=old["version"])
    before, after = old["resources"], new["resources"]
    out.tables_added = sorted(set(after) - set(before))
    out.tables_removed = sorted(set(before) - set(after))
    desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    for name in [n for n in before if n in after]:
        o, n = before[name], after[name]
        d = TableDiff()
        otypes = {f["name"]: f["type"] for f in o["fields"]}
        ntypes = {f["name"]: f["type"] for f in n["fields"]}
        d.columns_added = [c for c in ntypes if c not in otypes]
        d.columns_removed = [c for c in otypes if c not in ntypes]
        d.retyped = [c for c in otypes if c in ntypes and otypes[c] != ntypes[c]]
        res = next(r for r in desc["resources"] if r["name"] == name)
        key, rows = read_rows(root, res)
        names = [f["name"] for f in o["fields"]]
        current = {",".join(r[k] for k in key): row_hash(r, names) for r in rows}
        d.added = sorted(set(current) - set(o["rows"]))
        d.removed = sorted(set(o["rows"]) - set(current))
        d.changed = sorted(k for k in current if k in o["rows"] and current[k] != o["rows"][k])
        out.tables[name] = d
    common = [n for n in before if n in after]
    same_data = all(before[n]["sha256"] == after[n]["sha256"] for n in common)
    schemas_edited = any(before[n].get("schema_sha256") != after[n]["schema_sha256"] for n in common)
    descriptor_edited = same_data and old.get("package_sha256") != _package_sha_without_release_fields(
        root, old
    )
    out.metadata_changed = schemas_edited or descriptor_edited
    return out


def _package_sha_without_release_fields(root: Path, old: dict[str, Any]) -> str:
    """The descriptor's SHA-256 with the old release's version and date put back (to spot metadata edits)."""
    desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    desc["version"] = old["version"]
    desc["created"] = f"{old['date']}T00:00:00Z"
    return hashlib.sha256(dump(desc).encode("utf-8")).hexdigest()


def parse_version(text: str) -> tuple[int, int, int]:
    """X.Y.Z in ASCII digits ('١.٢.٠' and '1.2.3\\n' are refused), without leading zeros."""
    m = re.fullmatch(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)", text, flags=re.ASCII)
    if not m:
        raise ReleaseRefused(f"version {text!r} is not X.Y.Z (ASCII digits, no leading zeros)")
    return int(m[1]), int(m[2]), int(m[3])


def parse_date(text: str) -> str:
    """A release date: YYYY-MM-DD in ASCII digits, and a real day."""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text, flags=re.ASCII):
        raise ReleaseRefused(f"date {text!r} is not YYYY-MM-DD")
    try:
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ReleaseRefused(f"date {text!r} is not a real day ({exc})") from None
    if day.year < 1900:
        raise ReleaseRefused(f"date {text!r} is not a plausible release date")
    return text


def bump_between(old: str, new: str) -> str:
    """The kind of bump from old to new: major, minor, patch, or none if new is not later."""
    a, b = parse_version(old), parse_version(new)
    if b <= a:
        return "none"
    return "major" if b[0] > a[0] else "minor" if b[1] > a[1] else "patch"


def releases(root: Path) -> list[str]:
    """Released versions, oldest first."""
    folder = root / "releases"
    found = [p.stem for p in folder.glob("*.json")] if folder.is_dir() else []
    return sorted(found, key=parse_version)


def load_manifest(root: Path, version: str | None = None) -> dict[str, Any]:
    done = releases(root)
    if not done:
        raise ReleaseRefused("no release yet: nothing to compare with")
    version = version or done[-1]
    file = root / "releases" / f"{version}.json"
    if not file.is_file():
        raise ReleaseRefused(f"no release {version}; released: {', '.join(done)}")
    return json.loads(file.read_text(encoding="utf-8"))


def unreleased_notes(changelog: str) -> str:
    """The text under '## [Unreleased]', up to the next version heading."""
    if UNRELEASED not in changelog:
        return ""
    body = changelog.split(UNRELEASED, 1)[1]
    return re.split(r"\n## \[", body, maxsplit=1)[0].strip()


def _git_dirty(root: Path) -> str:
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain"], cwd=root, capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ReleaseRefused(f"cannot ask git whether the tree is clean: {exc}") from None
    return out.strip()


def make_release(
    root: Path, version: str, date: str | None = None, sources_dir: Path | None = None
) -> Diff | None:
    """Check everything, then set the version everywhere and write the manifest.

    Refuses (ReleaseRefused) a dirty tree, a failing validate, an empty Unreleased changelog
    section, a version not after the last release, or a bump smaller than the diff requires.
    """
    import validate

    date = parse_date(date or dt.date.today().isoformat())
    parse_version(version)
    if dirty := _git_dirty(root):
        raise ReleaseRefused(f"the working tree is not clean:\n{dirty}")
    report = validate.run(root / "datapackage.json", sources_dir)
    if report.errors:
        raise ReleaseRefused(f"validate reports {report.errors} error(s): run `nox -s validate`")
    changelog = (root / "CHANGELOG.md").read_text(encoding="utf-8")
    if not unreleased_notes(changelog):
        raise ReleaseRefused("CHANGELOG.md has no entries under '## [Unreleased]'")
    done = releases(root)
    change = None
    if done:
        change = diff(load_manifest(root, done[-1]), root)
        bump = bump_between(done[-1], version)
        if bump == "none":
            raise ReleaseRefused(f"{version} is not after the last release {done[-1]}")
        if BUMPS.index(bump) < BUMPS.index(change.required):
            raise ReleaseRefused(
                f"{done[-1]} -> {version} is a {bump} bump, but the changes need {change.required}:\n"
                + change.to_text()
            )
    write_version(root, version, date)
    (root / "releases").mkdir(exist_ok=True)
    text = json.dumps(manifest(root, version, date), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    (root / "releases" / f"{version}.json").write_text(text, encoding="utf-8")
    return change


def write_version(root: Path, version: str, date: str) -> None:
    """Set version and date in datapackage.json, CITATION.cff, .zenodo.json, CHANGELOG.md and the
    codebook (docs/codebook.md names the version it describes)."""
    from desertion_data import _codebook
    from desertion_data._cite import release_citation

    path = root / "datapackage.json"
    desc = json.loads(path.read_text(encoding="utf-8"))
    desc["version"] = version
    desc["created"] = f"{date}T00:00:00Z"
    path.write_text(dump(desc), encoding="utf-8")
    stamp(path)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    (root / "CITATION.cff").write_text(release_citation("cff", desc, sha), encoding="utf-8")
    zenodo = {
        "title": f"desertion-data: {desc['title']}",
        "upload_type": "dataset",
        "version": version,
        "publication_date": date,
        "description": desc["description"],
        "creators": [{"name": "desertion-data maintainers"}],
        "license": "cc-by-4.0",
        "keywords": desc["keywords"],
    }
    (root / ".zenodo.json").write_text(
        json.dumps(zenodo, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    log = root / "CHANGELOG.md"
    text = log.read_text(encoding="utf-8")
    log.write_text(text.replace(UNRELEASED, f"{UNRELEASED}\n\n## [{version}] - {date}", 1), encoding="utf-8")
    codebook = root / "docs" / "codebook.md"
    if codebook.is_file():
        schemas = {
            r["name"]: json.loads((root / r["schema"]).read_text(encoding="utf-8")) for r in desc["resources"]
        }
        codebook.write_text(_codebook.markdown(desc, schemas), encoding="utf-8")


ZIPPED = ("datapackage.json", "data", "schemas")
REGULAR = ("100644", "100755")  # git modes of regular files; 120000 is a symlink, 160000 a submodule


def tracked_files(root: Path, paths: tuple[str, ...] = ZIPPED) -> list[str]:
    """The regular files git tracks under paths, in name order (no symlink, no ignored file).

    ReleaseRefused if git cannot say, or if a tracked file is a symlink in git or on disk.
    """
    try:
        out = subprocess.run(
            ["git", "ls-files", "--stage", "-z", "--", *paths],
            cwd=root,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise ReleaseRefused(f"cannot ask git which files are tracked: {exc}") from None
    files = []
    for entry in filter(None, out.split(b"\0")):
        meta, _, name = entry.partition(b"\t")
        rel = name.decode("utf-8", "surrogateescape")
        if meta.split()[0].decode() not in REGULAR:
            raise ReleaseRefused(f"{rel}: tracked as a symlink or submodule, not a regular file")
        if (root / rel).is_symlink() or not (root / rel).is_file():
            raise ReleaseRefused(f"{rel}: not a regular file in the working tree")
        files.append(rel)
    return sorted(set(files))


def data_zip(root: Path, out: Path) -> Path:
    """dist/desertion-data-X.Y.Z.zip of datapackage.json, data/ and schemas/, byte-identical per commit.

    Only regular files git tracks go in (see tracked_files): an ignored file or a symlink's target
    never does.
    """
    desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    version = str(desc.get("version"))
    parse_version(version)
    name = f"desertion-data-{version}"
    files = tracked_files(root)
    if "datapackage.json" not in files:
        raise ReleaseRefused("datapackage.json is not tracked by git")
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{name}.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for rel in files:
            info = zipfile.ZipInfo(f"{name}/{rel}", date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, (root / rel).read_bytes())
    return target


def checksums(out: Path) -> Path:
    """dist/SHA256SUMS for every other file in dist/, in name order."""
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n"
        for p in sorted(out.iterdir())
        if p.is_file() and p.name != "SHA256SUMS"
    ]
    target = out / "SHA256SUMS"
    target.write_text("".join(lines), encoding="utf-8")
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path.cwd()
    usage = "usage: python -m validate.release diff [VERSION] | make X.Y.Z [YYYY-MM-DD] [SOURCES] | zip"
    try:
        if args[:1] == ["diff"]:
            print(diff(load_manifest(root, args[1] if len(args) > 1 else None), root).to_text())
        elif args[:1] == ["make"] and len(args) >= 2:
            sources = Path(args[3]) if len(args) > 3 else None
            make_release(root, args[1], args[2] if len(args) > 2 else None, sources)
            print(f"released {args[1]}: commit, tag v{args[1]} and run `nox -s build`")
        elif args[:1] == ["zip"]:
            print(data_zip(root, root / "dist"))
            print(checksums(root / "dist"))
        else:
            print(usage, file=sys.stderr)
            return 2
    except (ReleaseRefused, PackageError) as exc:
        print(f"release refused: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
