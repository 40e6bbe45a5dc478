"""The README's rule list is generated from the rules, so it cannot drift from them."""

from conftest import ROOT
from validate.docs import replace_section
from validate.rules import RULES


def test_readme_lists_every_rule_as_generated():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert replace_section(text) == text, "run: python -m validate.docs README.md"
    for rule in RULES:
        assert f"`{rule.__name__}`" in text
