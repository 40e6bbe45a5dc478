"""Check that the installed files are the ones the descriptor describes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from desertion_data._package import DESCRIPTOR, SCHEMA_HASH, PackageError, contained, descriptor, root

FOLDERS = ("data", "schemas")  # every file in these must be a described table or schema


@dataclass(frozen=True)
class Verification:
    """The result of `verify()`: true when every table matches its recorded SHA-256 and size."""

    checked: int
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.checked} tables and their schemas match datapackage.json"
        lines = [f"{len(self.problems)} problem(s) in {self.checked} tables:"]
        return "\n".join(lines + [f"- {p}" for p in self.problems])


def _digest(algo_hash: str) -> tuple[str, str]:
    algo, _, want = algo_hash.rpartition(":")
    return algo or "md5", want


def _check_file(base: Path, rel: str, where: str, recorded: str | None, size: int | None) -> list[str]:
    """Problems with one described file: outside the package, a symlink, missing, other bytes."""
    try:
        file = contained(base, rel, where)
    except PackageError as exc:
        return [str(exc)]
    if file.is_symlink() or any(p.is_symlink() for p in file.parents if p.is_relative_to(base) and p != base):
        return [f"{rel}: a symlink, not the file itself"]
    if not file.is_file():
        return [f"{rel}: missing"]
    data = file.read_bytes()
    problems = []
    if size is not None and len(data) != size:
        problems.append(f"{rel}: {len(data)} bytes, the descriptor says {size}")
    if recorded is None:
        return [*problems, f"{rel}: the descriptor records no hash for it ({where})"]
    algo, want = _digest(recorded)
    got = hashlib.new(algo, data).hexdigest()
    if got != want:
        problems.append(f"{rel}: {algo} is {got}, the descriptor says {want}")
    return problems


def verify() -> Verification:
    """Check every table's and schema's bytes and hash against datapackage.json, and that data/ and
    schemas/ hold no other file and no symlink; never raises for a mismatch."""
    base = root()
    problems: list[str] = []
    resources = descriptor()["resources"]
    described = set()
    for res in resources:
        name = res["name"]
        described.add(res["path"])
        problems += _check_file(
            base, res["path"], f"{DESCRIPTOR}: resource {name!r}: path", res.get("hash"), res.get("bytes")
        )
        if isinstance(res["schema"], str):
            described.add(res["schema"])
            problems += _check_file(
                base,
                res["schema"],
                f"{DESCRIPTOR}: resource {name!r}: {SCHEMA_HASH}",
                res.get(SCHEMA_HASH),
                None,
            )
    for folder in FOLDERS:
        top = base / folder
        if top.is_symlink():
            problems.append(f"{folder}/: a symlink, not the folder itself")
            continue
        for file in sorted(top.rglob("*")) if top.is_dir() else []:
            rel = file.relative_to(base).as_posix()
            if rel not in described and (file.is_symlink() or not file.is_dir()):
                problems.append(f"{rel}: in {folder}/ but not described in {DESCRIPTOR}")
    return Verification(checked=len(resources), problems=problems)
