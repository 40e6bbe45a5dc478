"""The consistency rules, and `RULES`, their one registry.

Each rule is one function: its name is the rule's stable id (never renamed or reused), the first
line of its docstring states the rule in plain words, and the next lines name the fields,
tolerances and why. Every rule takes the package and returns its violations, most through
`_common.violations`, the one loop from bad rows to violations keyed by the primary key.

The rules live by theme, each module with its tests in tests/test_rules_<theme>.py:

    structure       the files, the schema, keys and what a single row must say of itself
    hierarchy       parts and totals (parent_figure_id, split_into_parts)
    time            periods, publication dates, counts from a fixed start
    provenance      excerpts in their source texts, numbers in their excerpts
    reconciliation  figures against each other and against the discrepancies
    series          the generated series table against the claims (tests in tests/test_series.py)

`RULES` lists them in the order the report and the README's rule table do.
"""

from __future__ import annotations

from validate.rules.hierarchy import (
    parent_basis_stated,
    parent_chain_acyclic,
    parent_measure_broader,
    parts_sum_to_total,
    parts_within_total,
    period_nested,
    subset_within_total,
)
from validate.rules.provenance import TEXT_COLUMNS, excerpt_verbatim, source_texts, value_readable
from validate.rules.reconciliation import (
    claims_agree,
    derivation_agrees,
    discrepancy_rows_exist,
    disputed_means_questioned,
)
from validate.rules.series import (
    series_bounds_ordered,
    series_claims_within,
    series_current,
    series_years_agree,
)
from validate.rules.structure import (
    claim_unique,
    csv_well_formed,
    foreign_keys_resolve,
    no_spreadsheet_formula,
    package_intact,
    penalty_terms_ordered,
    range_ends_ordered,
    rows_match_schema,
    unit_matches_measure,
)
from validate.rules.time import cumulative_nondecreasing, period_end_stated_dated, period_ordered
from validate.rules_descriptor import descriptor_valid, files_regular, keys_normalised, schemas_intact

RULES = (
    csv_well_formed,
    rows_match_schema,
    foreign_keys_resolve,
    package_intact,
    schemas_intact,
    files_regular,
    keys_normalised,
    no_spreadsheet_formula,
    subset_within_total,
    parts_within_total,
    period_nested,
    period_ordered,
    cumulative_nondecreasing,
    parent_measure_broader,
    parent_chain_acyclic,
    parent_basis_stated,
    unit_matches_measure,
    claim_unique,
    penalty_terms_ordered,
    excerpt_verbatim,
    value_readable,
    parts_sum_to_total,
    derivation_agrees,
    discrepancy_rows_exist,
    disputed_means_questioned,
    period_end_stated_dated,
    range_ends_ordered,
    claims_agree,
    series_current,
    series_bounds_ordered,
    series_claims_within,
    series_years_agree,
    descriptor_valid,  # last: frictionless imports in the background while the other rules run
)

__all__ = ["RULES", "TEXT_COLUMNS", "source_texts", *(rule.__name__ for rule in RULES)]
