"""Pictures of the series, drawn with matplotlib (the `plot` extra) from the loader's tables only.

`PICTURES` names each picture, the tables it is drawn from, and the function that draws it.
`write(name, out, force)` writes one picture (SVG or PNG, chosen by the suffix) the way exports are
written: no symbolic link followed, an existing file replaced only with `force`. `write_all(folder)`
(`python -m desertion_data._plot docs/figures`, the nox session `figures`) writes every picture as
SVG and PNG and `manifest.json`, which records the SHA-256 of each data file a picture was made
from, so a test can tell when a committed picture is older than its data.

Output is deterministic: the Agg backend, a fixed SVG hash salt, no date in the SVG metadata and
fixed PNG metadata; two renders of the same data are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ARTICLES = {"awol": "AWOL (art. 407)", "desertion": "desertion (art. 408)"}
# funnel stages, in order: (label, measure suffix after 'awol_' / 'desertion_', counts)
STAGES = (
    ("registered", "cases", "proceedings"),
    ("closed", "cases_closed", "proceedings"),
    ("suspicion served", "cases_with_suspicion", "proceedings"),
    ("sent to court", "cases_to_court", "proceedings"),
    ("convicted", "persons_convicted", "persons"),
)
EVENT_KINDS = ("law_passed", "law_signed", "law_in_force", "deadline", "data_withdrawn")
CONVICTION_WORDS = ("convict", "verdict")
CONVICTION_UNITS = ("convictions", "persons")
FAMILIES = ("absence_", "awol_", "desertion_")
FORMATS = (".svg", ".png")
COLOURS = {"awol": "#1f77b4", "desertion": "#d62728"}
SOURCE_LINE = (
    "Source: desertion-data series table (best value chosen by rule; range = where sources disagree)"
)


class PlotError(Exception):
    """A picture that cannot be made, in one line."""


@dataclass(frozen=True)
class Picture:
    name: str
    tables: tuple[str, ...]
    draw: Callable[[dict[str, Any]], Any]
    title: str


# ---------------------------------------------------------------------------------------------
# Periods


def first_day(text: str) -> date:
    """The first day of a reduced-precision date: '2024' -> 2024-01-01, '2024-09' -> 2024-09-01."""
    parts = [int(p) for p in str(text).split("-")]
    return date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)


def last_day(text: str) -> date:
    """The last day of a reduced-precision date: '2024' -> 2024-12-31, '2024-02' -> 2024-02-29."""
    parts = [int(p) for p in str(text).split("-")]
    if len(parts) == 3:
        return date(*parts)
    if len(parts) == 1:
        return date(parts[0], 12, 31)
    year, month = parts
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def span_label(start: str, end: str) -> str:
    """'2022-01'..'2025-07' -> 'Jan 2022 to Jul 2025'; one year or month stands alone."""

    def words(text: str) -> str:
        d = first_day(text)
        n = len(str(text).split("-"))
        return str(d.year) if n == 1 else d.strftime("%b %Y") if n == 2 else d.strftime("%d %b %Y")

    return words(start) if start == end else f"{words(start)} to {words(end)}"


def _number(x: float) -> str:
    return f"{x:,.0f}".replace(",", "\u2009") if float(x).is_integer() else f"{x:,.1f}"


# ---------------------------------------------------------------------------------------------
# Choices made from the data


def choose_funnel_span(series, country: str = "UA") -> tuple[str, str] | None:
    """The span the funnel shows: among the periods (period_start, period_end) of the country's series
    for which both articles have a registered count (awol_cases and desertion_cases), the one where
    the most stages (registered, closed, suspicion, court, convicted) are present for both articles;
    ties go to the most stages for either article, then to the latest end, then to the latest start.
    None when no period has a registered count for both articles."""
    rows = series[series["country"] == country]
    have = {
        (r.measure, r.period_start, r.period_end) for r in rows.itertuples() if _float(r.best) is not None
    }
    periods = sorted({(start, end) for _, start, end in have})
    best_key, best = None, None
    for start, end in periods:
        present = {
            art: {suffix for _, suffix, _ in STAGES if (f"{art}_{suffix}", start, end) in have}
            for art in ARTICLES
        }
        if not all("cases" in p for p in present.values()):
            continue
        both = len(set.intersection(*present.values()))
        either = sum(len(p) for p in present.values())
        key = (both, either, last_day(end), first_day(start))
        if best_key is None or key > best_key:
            best_key, best = key, (start, end)
    return best


def funnel_values(series, span: tuple[str, str], country: str = "UA") -> dict[str, list[dict[str, Any]]]:
    """For each article, the stages present in `span`, in funnel order, with best, low and high."""
    start, end = span
    rows = series[
        (series["country"] == country) & (series["period_start"] == start) & (series["period_end"] == end)
    ]
    out: dict[str, list[dict[str, Any]]] = {}
    for art in ARTICLES:
        out[art] = []
        for label, suffix, counts in STAGES:
            hit = rows[rows["measure"] == f"{art}_{suffix}"]
            if hit.empty or _float(hit.iloc[0]["best"]) is None:
                continue
            r = hit.iloc[0]
            out[art].append(
                {
                    "stage": label,
                    "measure": f"{art}_{suffix}",
                    "counts": counts,
                    "best": float(r["best"]),
                    "low": _float(r["low"]),
                    "high": _float(r["high"]),
                }
            )
    return out


def conviction_measures(measures) -> list[str]:
    """The measures Russia's convictions picture shows: a measure about desertion or AWOL (its name
    starts with 'absence_', 'awol_' or 'desertion_'; refusal-to-serve counts, which include
    disobedience, are left out) whose name contains 'convict' or 'verdict' and whose unit counts
    convictions or persons (so growth factors and rates per day or week are left out), in the
    measures table's order."""
    keep = measures["measure"].str.contains("|".join(CONVICTION_WORDS), regex=True)
    keep &= measures["measure"].str.startswith(FAMILIES)
    keep &= measures["unit"].isin(CONVICTION_UNITS)
    return [str(m) for m in measures.loc[keep.fillna(False), "measure"]]


def conviction_rows(series, measures):
    """The Russian series rows of those measures with freq year or span, sorted by measure and period."""
    chosen = conviction_measures(measures)
    rows = series[
        (series["country"] == "RU") & series["measure"].isin(chosen) & series["freq"].isin(["year", "span"])
    ]
    return rows.sort_values(["measure", "period_start", "period_end"]).reset_index(drop=True)


def _float(x) -> float | None:
    """A number, or None for a missing one (None, NaN or pandas' NA)."""
    import pandas as pd

    return None if pd.isna(x) else float(x)


# ---------------------------------------------------------------------------------------------
# Drawing


def _setup():
    try:
        import matplotlib
    except ImportError as exc:
        raise PlotError("pictures need matplotlib: pip install 'desertion-data[plot]'") from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    plt.rcdefaults()
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "desertion-data",
            "svg.fonttype": "none",  # text stays text: searchable, and tests can read the numbers
            "font.family": "DejaVu Sans",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def _errors(best: list[float], low: list, high: list) -> list[list[float]]:
    """Error-bar lengths below and above best; a missing bound (no upper bound) draws none."""
    below = [b - lo if lo is not None else 0.0 for b, lo in zip(best, low, strict=True)]
    above = [hi - b if hi is not None else 0.0 for b, hi in zip(best, high, strict=True)]
    return [below, above]


def _break_gaps(x: list[date], *ys: list[float]) -> tuple[list, ...]:
    """Points of consecutive months joined, a missing month left as a gap: a line is not drawn
    across months no source gives (a NaN point between them breaks the line and the band)."""
    out_x: list = []
    out_ys: list[list[float]] = [[] for _ in ys]
    for i, xi in enumerate(x):
        if i and (xi.year - x[i - 1].year) * 12 + xi.month - x[i - 1].month > 1:
            out_x.append(x[i - 1] + (xi - x[i - 1]) / 2)
            for col in out_ys:
                col.append(float("nan"))
        out_x.append(xi)
        for col, y in zip(out_ys, ys, strict=True):
            col.append(y[i])
    return (out_x, *out_ys)


def _events(tables: dict[str, Any], country: str = "UA"):
    e = tables["events"]
    e = e[(e["country"] == country) & e["kind"].isin(EVENT_KINDS) & e["date"].notna()]
    e = e[e["date"].astype(str).str.len() >= 7]  # a year alone cannot be placed on a month axis
    # many sources state one event: one line per date and kind (the first source's law, if any)
    e = e.sort_values(["date", "kind", "law", "event_id"], na_position="last")
    return e.drop_duplicates(["date", "kind"]).reset_index(drop=True)


def _event_label(row) -> str:
    kind = str(row["kind"]).replace("_", " ")
    law = row["law"] if isinstance(row["law"], str) and row["law"] else ""
    return f"{row['date']} {kind}" + (f" ({law})" if law else "")


def draw_ua_proceedings(tables: dict[str, Any]):
    """Ukraine's registered AWOL and desertion proceedings per year (bars) and month (lines)."""
    plt = _setup()
    s = tables["series"]
    s = s[(s["country"] == "UA") & s["measure"].isin([f"{a}_cases" for a in ARTICLES])]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 9.5), sharex=True)
    events = _events(tables)
    for i, art in enumerate(ARTICLES):
        yr = s[(s["measure"] == f"{art}_cases") & (s["freq"] == "year")].sort_values("period_start")
        if not yr.empty:
            best = [float(v) for v in yr["best"]]
            low, high = [_float(v) for v in yr["low"]], [_float(v) for v in yr["high"]]
            x = [first_day(p) + timedelta(days=120 + 130 * i) for p in yr["period_start"]]
            top.bar(x, best, width=120, color=COLOURS[art], label=ARTICLES[art], alpha=0.85)
            top.errorbar(x, best, yerr=_errors(best, low, high), fmt="none", ecolor="black", capsize=3)
            for xi, b, hi in zip(x, best, high, strict=True):
                top.annotate(
                    _number(b) + ("+" if hi is None else ""),
                    (xi, b),
                    textcoords="offset points",
                    xytext=(0, 3),
                    ha="center",
                    fontsize=7,
                )
        mo = s[(s["measure"] == f"{art}_cases") & (s["freq"] == "month")].sort_values("period_start")
        if not mo.empty:
            x = [first_day(p) + timedelta(days=14) for p in mo["period_start"]]
            best = [float(v) for v in mo["best"]]
            low = [_float(v) if _float(v) is not None else b for v, b in zip(mo["low"], best, strict=True)]
            high = [_float(v) if _float(v) is not None else b for v, b in zip(mo["high"], best, strict=True)]
            bars = _errors(best, [_float(v) for v in mo["low"]], [_float(v) for v in mo["high"]])
            bottom.errorbar(x, best, yerr=bars, fmt="none", ecolor=COLOURS[art], alpha=0.6, capsize=2)
            x, best, low, high = _break_gaps(x, best, low, high)
            bottom.fill_between(x, low, high, color=COLOURS[art], alpha=0.2, linewidth=0)
            bottom.plot(x, best, marker="o", markersize=3, color=COLOURS[art], label=ARTICLES[art])
    for ax in (top, bottom):
        for _, ev in events.iterrows():
            ax.axvline(first_day(ev["date"]), color="grey", linestyle="--", linewidth=0.8)
    ymax = bottom.get_ylim()[1]
    notes = []
    for k, (_, ev) in enumerate(events.iterrows(), start=1):
        bottom.annotate(
            str(k), (first_day(ev["date"]), ymax * 0.98), fontsize=7, ha="center", va="top", color="dimgrey"
        )
        notes.append(f"{k} {_event_label(ev)}")
    if notes:  # the numbered events under the picture, in columns
        per = -(-len(notes) // 3)
        for c in range(3):
            fig.text(
                0.01 + c * 0.33,
                0.03,
                "\n".join(notes[c * per : (c + 1) * per]),
                fontsize=6.5,
                va="bottom",
                ha="left",
                color="dimgrey",
            )
    top.set_title("Per year (bar: best value; whisker: low to high; '+': no upper bound)", loc="left")
    bottom.set_title(
        "Per month (line: best value; band and whisker: low to high; gaps: months no source gives)",
        loc="left",
    )
    top.set_ylabel("registered proceedings")
    bottom.set_ylabel("registered proceedings")
    top.legend(loc="upper left", frameon=False)
    bottom.legend(loc="upper left", frameon=False)
    fig.suptitle(
        "Ukraine: criminal proceedings registered for AWOL and desertion (proceedings, not people)",
        x=0.01,
        ha="left",
    )
    fig.text(
        0.01,
        0.005,
        SOURCE_LINE + "; dashed lines: the numbered laws, deadlines and data withdrawals",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.03 + 0.0125 * min(len(notes), 30) / 3 + 0.02, 1, 0.97))
    return fig


def draw_ua_funnel(tables: dict[str, Any]):
    """From registered proceedings to suspicion, court and conviction, per article, for one span."""
    plt = _setup()
    s = tables["series"]
    span = choose_funnel_span(s)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
    if span is None:
        for ax in axes:
            ax.text(0.5, 0.5, "no span has registered counts for both articles", ha="center")
            ax.set_axis_off()
        fig.suptitle("Ukraine: from registered proceedings to court (no data)", x=0.01, ha="left")
        return fig
    values = funnel_values(s, span)
    persons = any(st["counts"] == "persons" for v in values.values() for st in v)
    for ax, art in zip(axes, ARTICLES, strict=True):
        stages = values[art]
        y = list(range(len(stages)))[::-1]
        best = [st["best"] for st in stages]
        ax.barh(y, best, color=COLOURS[art], alpha=0.85)
        ax.errorbar(
            best,
            y,
            xerr=_errors(best, [st["low"] for st in stages], [st["high"] for st in stages]),
            fmt="none",
            ecolor="black",
            capsize=3,
        )
        ax.set_yticks(y, [st["stage"] + (" (persons)" if st["counts"] == "persons" else "") for st in stages])
        top = max(best) if best else 1
        for yi, st in zip(y, stages, strict=True):
            share = f" ({st['best'] / best[0]:.1%})" if best and st is not stages[0] and best[0] else ""
            ax.annotate(
                _number(st["best"]) + ("+" if st["high"] is None else "") + share,
                (st["best"], yi),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        ax.set_xlim(0, top * 1.35)
        ax.set_title(ARTICLES[art], loc="left")
        ax.set_xlabel("count")
    counted = "proceedings" + (" (and persons where marked)" if persons else "")
    fig.suptitle(
        f"Ukraine: the funnel from registered proceedings, {span_label(*span)}\n"
        f"Stages count {counted}; the span is the latest with the most stages for both articles",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    fig.text(0.01, 0.005, SOURCE_LINE + "; share in brackets: of registered", fontsize=7)
    fig.tight_layout(rect=(0, 0.03, 1, 0.9))
    return fig


def draw_ru_convictions(tables: dict[str, Any]):
    """Russia's convictions for desertion and AWOL per year (and per reported span), with ranges."""
    plt = _setup()
    rows = conviction_rows(tables["series"], tables["measures"])
    labels = dict(zip(tables["measures"]["measure"], tables["measures"]["label"], strict=True))
    fig, ax = plt.subplots(figsize=(10, 5))
    palette = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
    for i, (measure, group) in enumerate(rows.groupby("measure", sort=True)):
        colour = palette[i % len(palette)]
        starts = [first_day(p) for p in group["period_start"]]
        ends = [last_day(p) + timedelta(days=1) for p in group["period_end"]]
        mids = [a + (b - a) / 2 for a, b in zip(starts, ends, strict=True)]
        best = [float(v) for v in group["best"]]
        low, high = [_float(v) for v in group["low"]], [_float(v) for v in group["high"]]
        xerr = [
            [m - a for a, m in zip(starts, mids, strict=True)],
            [b - m for b, m in zip(ends, mids, strict=True)],
        ]
        ax.errorbar(
            mids,
            best,
            xerr=xerr,
            yerr=_errors(best, low, high),
            fmt="o",
            color=colour,
            capsize=3,
            label=f"{labels.get(measure, measure)} ({measure})",
        )
        for m, b, hi, (_, r) in zip(mids, best, high, group.iterrows(), strict=True):
            text = _number(b) + ("+" if hi is None else "")
            if r["freq"] == "span":
                text += f"\n{span_label(r['period_start'], r['period_end'])}"
            above = i % 2 == 0  # measures alternate labels above and below their points
            ax.annotate(
                text,
                (m, b),
                xytext=(4, 5 if above else -6),
                textcoords="offset points",
                va="bottom" if above else "top",
                fontsize=7,
                color=colour,
            )
    if rows.empty:
        ax.text(0.5, 0.5, "no Russian conviction counts in the series", ha="center", transform=ax.transAxes)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("count (convictions or persons, as the measure says)")
    ax.legend(loc="upper left", frameon=False, fontsize=8)
    fig.suptitle(
        "Russia: convictions for desertion and leaving a unit (horizontal bar: period covered; "
        "vertical: low to high)",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    fig.text(0.01, 0.005, SOURCE_LINE, fontsize=7)
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    return fig


PICTURES = {
    p.name: p
    for p in (
        Picture(
            "ua-proceedings",
            ("series", "events"),
            draw_ua_proceedings,
            "Ukraine's registered AWOL and desertion proceedings per year and month, with dated laws",
        ),
        Picture(
            "ua-funnel",
            ("series",),
            draw_ua_funnel,
            "From registered proceedings to suspicion, court and conviction, per article",
        ),
        Picture(
            "ru-convictions",
            ("series", "measures"),
            draw_ru_convictions,
            "Russia's convictions for desertion and leaving a unit, per year and reported span",
        ),
    )
}


# ---------------------------------------------------------------------------------------------
# Writing


def tables_for(name: str) -> dict[str, Any]:
    import desertion_data as dd

    return {t: dd.load(t) for t in PICTURES[name].tables}


def render(name: str, fmt: str) -> bytes:
    """The picture as SVG or PNG bytes, the same bytes for the same data."""
    import io

    if name not in PICTURES:
        raise PlotError(f"no picture named {name!r}; the pictures are: {', '.join(PICTURES)}")
    fig = PICTURES[name].draw(tables_for(name))
    buf = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "desertion-data"})
    elif fmt == "png":
        fig.savefig(buf, format="png", dpi=110, metadata={"Software": "desertion-data"})
    else:
        raise PlotError(f"format must be svg or png, not {fmt!r}")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def write(name: str, out: str | Path, force: bool = False) -> Path:
    """Write one picture to `out` (.svg or .png); refuses a symbolic link, and an existing file
    without `force`. Raises PlotError (or desertion_data.ExportError) with a one-line reason."""
    from desertion_data._export import atomic, check_targets

    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise PlotError(f"{out}: the file name must end in .svg or .png")
    check_targets([out], force)
    data = render(name, out.suffix.lower()[1:])
    with atomic(out) as tmp:
        tmp.write_bytes(data)
    return out


def data_hashes(name: str) -> dict[str, str]:
    """The SHA-256 of each data file a picture is drawn from, by its path in the package."""
    import desertion_data as dd
    from desertion_data._package import resource

    return {
        resource(t)["path"]: hashlib.sha256(dd.path(t).read_bytes()).hexdigest()
        for t in PICTURES[name].tables
    }


def manifest() -> dict[str, Any]:
    """What manifest.json holds: per picture, its files and the hashes of the data it shows."""
    return {
        name: {"title": p.title, "files": [f"{name}{ext}" for ext in FORMATS], "data": data_hashes(name)}
        for name, p in PICTURES.items()
    }


def stale(folder: str | Path) -> list[str]:
    """The pictures in `folder` older than their data: their manifest entry is missing, its hashes
    differ from the current data files, or one of its files is missing. Empty when all are current."""
    folder = Path(folder)
    try:
        recorded = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        recorded = {}
    out = []
    for name in PICTURES:
        entry = recorded.get(name) or {}
        if entry.get("data") != data_hashes(name):
            out.append(f"{name}: drawn from other data than the current {', '.join(data_hashes(name))}")
        elif not all((folder / f"{name}{ext}").is_file() for ext in FORMATS):
            out.append(f"{name}: a file is missing in {folder}")
    return out


def write_all(folder: str | Path) -> list[Path]:
    """Every picture as SVG and PNG in `folder`, and manifest.json (existing files replaced)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [write(name, folder / f"{name}{ext}", force=True) for name in PICTURES for ext in FORMATS]
    from desertion_data._export import atomic, check_targets

    target = folder / "manifest.json"
    check_targets([target], True)
    with atomic(target) as tmp:
        tmp.write_text(json.dumps(manifest(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return [*written, target]


if __name__ == "__main__":
    for path in write_all(sys.argv[1] if len(sys.argv) > 1 else "docs/figures"):
        print(f"wrote {path}")
