"""Check that the installed files are the ones the descriptor describes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from desertion_data._package import descriptor, root


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
            return f"ok: {self.checked} tables match datapackage.json"
        lines = [f"{len(self.problems)} problem(s) in {self.checked} tables:"]
        return "\n".join(lines + [f"- {p}" for p in self.problems])


def verify() -> Verification:
    """Check every table's bytes and SHA-256 against datapackage.json; never raises for a mismatch."""
    problems = []
    resources = descriptor()["resources"]
    for res in resources:
        file = root() / res["path"]
        if not file.is_file():
            problems.append(f"{res['path']}: missing")
            continue
        data = file.read_bytes()
        algo, _, want = res.get("hash", "").rpartition(":")
        if len(data) != res.get("bytes"):
            problems.append(f"{res['path']}: {len(data)} bytes, the descriptor says {res.get('bytes')}")
        got = hashlib.new(algo or "md5", data).hexdigest()
        if got != want:
            problems.append(f"{res['path']}: {algo} is {got}, the descriptor says {want}")
    return Verification(checked=len(resources), problems=problems)
