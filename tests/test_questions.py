"""The README's "Questions this package answers": each snippet runs and prints what the README shows."""

from __future__ import annotations

from pathlib import Path

import pytest

from desertion_data import _questions

README = Path(__file__).resolve().parents[1] / "README.md"
REFRESH = "run `nox -s docs` (python -m desertion_data._questions README.md)"


def shown() -> list[tuple[str, str]]:
    return _questions.shown(README.read_text(encoding="utf-8"))


def test_readme_shows_every_question():
    """The README shows one snippet and answer per question, as generated."""
    pairs = shown()
    assert [code for code, _ in pairs] == [code for _, code, _ in _questions.QUESTIONS], REFRESH


@pytest.mark.parametrize("index", range(len(_questions.QUESTIONS)), ids=lambda i: f"question-{i + 1}")
def test_snippet_prints_what_the_readme_shows(index):
    """Run the snippet as the README shows it: at most three lines, and its output is the shown answer."""
    pairs = shown()
    assert index < len(pairs), REFRESH
    code, answer = pairs[index]
    assert len(code.splitlines()) <= _questions.MAX_LINES
    assert _questions.run(code) == answer, f"question {index + 1}: the README's answer is stale; {REFRESH}"


def test_replace_section_needs_markers():
    """Without its markers the section cannot be written (rather than appended somewhere)."""
    with pytest.raises(ValueError, match="markers"):
        _questions.replace_section("# README without the section\n")
