"""Consistency rules for the desertion-data package (maintainers' tool, run by `nox -s validate`).

`run(path, sources_dir)` reads the package (validate.package), applies every rule in
validate.rules.RULES and returns a validate.report.Report. It never writes to the data.
"""

from __future__ import annotations

import os

# polars' allocator (jemalloc) keeps freed pages for 10 s by default, longer than a whole run, so
# each rule's scratch memory would add to the peak; return it after 100 ms instead. Read when
# polars is first imported, so it applies to `python -m validate`, not to a process that already
# imported polars; a value set in the environment wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:100,muzzy_decay_ms:0")

import contextlib
import importlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from validate.package import read_package
from validate.report import InputError, Report, RuleSkipped, Skipped
from validate.rules import RULES

__all__ = ["RULES", "InputError", "Report", "run"]


def _import_quietly(name: str) -> None:
    """Import a module ahead of need; a failure shows when the rule imports it itself."""
    with contextlib.suppress(Exception):
        importlib.import_module(name)


def run(path: Path | str = "datapackage.json", sources_dir: Path | str | None = None, rules=RULES) -> Report:
    """Validate the package at path; InputError if it cannot be read at all (or the sources folder
    given does not exist: a typo must not pass as a skipped check)."""
    if sources_dir is not None and not Path(sources_dir).is_dir():
        raise InputError(f"--sources {sources_dir}: no such folder")
    pool = ThreadPoolExecutor(1)
    try:
        # pandera takes a few hundred ms to import; it does so while the CSV parser, which releases
        # the interpreter, reads the tables. Then frictionless (most of a second), for
        # descriptor_valid, the last rule: the rules do not wait for it.
        pool.submit(importlib.import_module, "validate.schema")
        pool.submit(_import_quietly, "frictionless")
        pkg = read_package(Path(path), Path(sources_dir) if sources_dir is not None else None)
    finally:
        pool.shutdown(wait=False)
    report = Report(rows={name: t.frame.height for name, t in pkg.tables.items()})
    for rule in rules:
        try:
            report.violations.extend(rule(pkg))
        except RuleSkipped as skip:
            report.skipped.append(Skipped(rule.__name__, skip.reason, skip.rows))
            continue
        except Exception as exc:  # a rule that breaks on odd input must not print a traceback
            raise InputError(
                f"rule {rule.__name__} could not run on this package: {type(exc).__name__}: {exc}"
            ) from exc
        report.rules_run += 1
    order = {r.__name__: i for i, r in enumerate(rules)}
    report.violations.sort(key=lambda v: (v.severity != "error", order.get(v.rule, 99), v.resource, v.key))
    return report
