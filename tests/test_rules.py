"""The registry: every rule runs on a clean fixture without a finding, states itself in one plain
line, and has its test beside its theme (validate/rules/<theme>.py -> tests/test_rules_<theme>.py)."""

from __future__ import annotations

import json
import re

import pytest

import validate
from conftest import ROOT
from validate.report import Report, error, warning
from validate.rules import RULES


def test_minimal_fixture_is_clean(make_package, tmp_path):
    """The base fixture breaks no rule, so each failing fixture breaks only what it changes."""
    report = validate.run(make_package(), tmp_path / "sources")
    assert report.violations == []
    assert report.skipped == []
    assert report.rules_run == len(RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_rule_documented(rule):
    """Every rule states itself in plain words on its docstring's first line."""
    first = (rule.__doc__ or "").strip().splitlines()[0]
    assert first.endswith(".") or first.endswith(")."), rule.__name__
    assert len(first) < 110


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_rule_has_its_test_beside_its_theme(rule):
    """A rule in validate.rules.<theme> is tested by a test_<rule id>... in tests/test_rules_<theme>.py
    (a rule defined elsewhere, by a test_<rule id>... in some tests/test_*.py)."""
    package, _, theme = rule.__module__.rpartition(".")
    pattern = re.compile(rf"^def test_{rule.__name__}(_\w*)?\(", re.M)
    if package == "validate.rules":
        tests = [ROOT / "tests" / f"test_rules_{theme}.py"]
        assert tests[0].is_file(), f"no {tests[0].name} for the rules of validate/rules/{theme}.py"
    else:
        tests = sorted((ROOT / "tests").glob("test_*.py"))
    assert any(pattern.search(t.read_text(encoding="utf-8")) for t in tests), (
        f"no test_{rule.__name__} in {', '.join(t.name for t in tests)}"
    )


def test_text_report_names_at_most_50_rows_a_rule_and_json_all():
    """The text report shows 50 rows of a rule and severity, then how many more; JSON keeps every row."""
    report = Report(rows={"figures": 200})
    report.violations += [
        error("period_nested", "figures", f"s1-f{n:03d}", "period_end", "x") for n in range(120)
    ]
    report.violations += [
        warning("period_nested", "figures", f"s1-f{n:03d}", "period_end", "y") for n in range(3)
    ]
    report.violations += [error("period_ordered", "figures", "s1-f999", "period_end", "z")]
    text = report.to_text().splitlines()
    assert len(text) == 2 + 50 + 1 + 3 + 1 + 2
    assert text[2 + 50] == "... and 70 more error(s) of period_nested (all are in --format json)"
    assert text[-1].startswith("121 error(s), 3 warning(s)")
    assert len(json.loads(report.to_json())) == 124
