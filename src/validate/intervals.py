"""The interval a stated number stands for, given its qualifier, and the days a reduced date covers.

A figure is a claim that the true number lies in [lo, hi]:

    exact          [v, v]
    approximately  [v(1-t), v(1+t)]       t = TOLERANCE
    nearly         [v(1-t), v]
    at_least       [v, inf)
    more_than      (v, inf)               open: the next float above v
    up_to          [0, v]
    less_than      [0, v)                 open: the next float below v
    estimate       [v(1-T), v(1+T)]       T = ESTIMATE_TOLERANCE
    range          [v, value_high]        a stated range: both ends as written

t = 0.10: "about 60 thousand" admits 54,000 to 66,000, and "nearly 30 thousand" 27,000 to 30,000.
Rounded reporting ("235,000" for 235,646) stays within it; a figure 10% off is not "about".
T = 0.50: an estimate ("might reach 60,000") is a guess, so only an error of half is ruled out.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

TOLERANCE = 0.10
ESTIMATE_TOLERANCE = 0.50

# qualifier: (lower factor, upper factor, lower open, upper open)
FACTORS: dict[str, tuple[float, float, bool, bool]] = {
    "exact": (1.0, 1.0, False, False),
    "approximately": (1 - TOLERANCE, 1 + TOLERANCE, False, False),
    "nearly": (1 - TOLERANCE, 1.0, False, False),
    "at_least": (1.0, math.inf, False, False),
    "more_than": (1.0, math.inf, True, False),
    "up_to": (0.0, 1.0, False, False),
    "less_than": (0.0, 1.0, False, True),
    "estimate": (1 - ESTIMATE_TOLERANCE, 1 + ESTIMATE_TOLERANCE, False, False),
    "range": (1.0, 1.0, False, False),  # the high end comes from value_high
}


def bounds(values, qualifiers, highs=None) -> tuple[np.ndarray, np.ndarray]:
    """Closed float bounds [lo, hi] of each value under its qualifier (open ends stepped inward).

    A range's high end is its value_high (`highs`); a range without one is unbounded above.
    Unknown qualifiers and missing values give NaN bounds, which compare false with everything,
    so no rule fires on a row whose bounds are unknown (its schema error is reported instead).
    """
    v = pl.Series(values, dtype=pl.Float64).fill_null(np.nan).to_numpy()
    # each qualifier's position in FACTORS (one pass over the text), then the factors by position;
    # an unknown qualifier takes the last row, all NaN
    names = list(FACTORS)
    at = pl.Series(qualifiers, dtype=pl.String).cast(pl.Enum(names), strict=False).to_physical()
    at = at.fill_null(len(names)).to_numpy().astype(np.intp)
    flo, fhi, lo_open, hi_open = np.array([*FACTORS.values(), (np.nan,) * 4], dtype=float).T
    with np.errstate(invalid="ignore"):
        lo = v * flo[at]
        hi = v * fhi[at]
    hi[np.isinf(fhi)[at]] = np.inf  # unbounded above, whatever the value (0 * inf is NaN)
    for opened, bound, towards in ((lo_open == 1, lo, np.inf), (hi_open == 1, hi, -np.inf)):
        step = opened[at]
        if step.any():
            bound[step] = np.nextafter(bound[step], towards)
    ranged = at == names.index("range")
    if ranged.any():
        high = np.full(len(v), np.inf) if highs is None else pl.Series(highs, dtype=pl.Float64).to_numpy()
        hi[ranged] = np.where(np.isnan(high[ranged]), np.inf, high[ranged])
    return lo, hi
