"""Violations, skipped rules and the report: one violation per row, as text or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

COLUMNS = ("severity", "rule", "resource", "key", "fields", "message")
TEXT_PER_RULE = 50  # rows of one rule and severity in the text report; the JSON report has them all


class Violation(NamedTuple):
    """One broken rule on one row (key is the row's primary key, or '' for a whole resource)."""

    severity: str
    rule: str
    resource: str
    key: str
    fields: str
    message: str


def error(rule: str, resource: str, key: object, fields: str | list[str], message: str) -> Violation:
    """An error: the package is wrong."""
    return Violation("error", rule, resource, _text(key), _fields(fields), message)


def warning(rule: str, resource: str, key: object, fields: str | list[str], message: str) -> Violation:
    """A warning: worth a reader's attention, not wrong in itself."""
    return Violation("warning", rule, resource, _text(key), _fields(fields), message)


def _text(key: object) -> str:
    return "" if key is None else str(key)


def _fields(fields: str | list[str]) -> str:
    return fields if isinstance(fields, str) else ",".join(fields)


class InputError(Exception):
    """The input cannot be read at all (exit code 2); the message names the file and place."""


@dataclass(frozen=True)
class Skipped:
    """A rule that could not run, with why and how many rows went unchecked."""

    rule: str
    reason: str
    rows: int


class RuleSkipped(Exception):
    """Raised by a rule that cannot run here."""

    def __init__(self, reason: str, rows: int):
        super().__init__(reason)
        self.reason = reason
        self.rows = rows


@dataclass
class Report:
    """What a validation run found."""

    violations: list[Violation] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    rules_run: int = 0
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return sum(v.severity == "error" for v in self.violations)

    @property
    def warnings(self) -> int:
        return sum(v.severity == "warning" for v in self.violations)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0

    def summary(self) -> dict[str, object]:
        return {
            "errors": self.errors,
            "warnings": self.warnings,
            "rules_run": self.rules_run,
            "rows": self.rows,
            "skipped": [asdict(s) for s in self.skipped],
        }

    def summary_line(self) -> str:
        tables = ", ".join(f"{n} {name}" for name, n in self.rows.items())
        line = f"{self.errors} error(s), {self.warnings} warning(s); {self.rules_run} rules run on {tables}"
        for s in self.skipped:
            line += f"\nSKIPPED {s.rule}: {s.reason} ({s.rows} rows unchecked)"
        return line

    def to_json(self) -> str:
        """A JSON array of violations, each an object with exactly the report's columns."""
        return json.dumps([v._asdict() for v in self.violations], ensure_ascii=False, indent=1)

    def to_text(self, width: int = 100, per_rule: int = TEXT_PER_RULE) -> str:
        """A readable table, one violation per row (at most `per_rule` rows of each rule and
        severity, then how many more), then the summary line. The JSON report has every row."""
        if not self.violations:
            return "No violations.\n" + self.summary_line()
        shown: list[tuple[str, ...]] = []
        more: dict[int, tuple[int, str, str]] = {}  # after row n: (count left out, severity, rule)
        counts: dict[tuple[str, str], int] = {}
        for v in self.violations:
            n = counts[(v.severity, v.rule)] = counts.get((v.severity, v.rule), 0) + 1
            if n <= per_rule:
                shown.append(tuple(v))
                last = len(shown)
            else:
                left = more.get(last, (0, v.severity, v.rule))
                more[last] = (left[0] + 1, v.severity, v.rule)
        rows = [COLUMNS, *shown]
        widths = [min(max(len(r[i]) for r in rows), 40) for i in range(len(COLUMNS) - 1)]

        def fmt(r: tuple[str, ...]) -> str:
            cells = [r[i][:40].ljust(widths[i]) for i in range(len(widths))]
            return "  ".join([*cells, r[-1]])

        lines = [fmt(rows[0]), "  ".join("-" * w for w in widths) + "  -------"]
        for n, r in enumerate(shown, 1):
            lines.append(fmt(r))
            if n in more:
                left, severity, rule = more[n]
                lines.append(f"... and {left} more {severity}(s) of {rule} (all are in --format json)")
        return "\n".join([*lines, "", self.summary_line()])
