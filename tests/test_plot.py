"""The pictures: current with the data they show, drawn deterministically, showing the numbers they
claim; the funnel's span chosen from the data by its documented rule; `desertion-data plot`."""

from __future__ import annotations

import json
import re
import shutil
import sys
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

import desertion_data as dd
from desertion_data import _plot
from desertion_data.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "docs" / "figures"


def texts(svg: bytes) -> str:
    """The text an SVG shows (matplotlib keeps text as <text> elements), one string."""
    return " ".join(unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg.decode(), re.S))


def series_rows(*rows: tuple[str, str, str, float]) -> pd.DataFrame:
    """A small series table: (measure, period_start, period_end, best) rows for Ukraine."""
    return pd.DataFrame(
        [
            {
                "country": "UA",
                "measure": m,
                "period_start": a,
                "period_end": b,
                "best": v,
                "low": v,
                "high": v,
            }
            for m, a, b, v in rows
        ]
    )


def test_committed_pictures_are_current():
    """Every picture in docs/figures was drawn from the data files as they are now."""
    assert _plot.stale(FIGURES) == [], "pictures older than their data: run `nox -s figures`"


def test_stale_picture_is_found(tmp_path):
    """A manifest recording other data, or a missing file, makes its picture stale."""
    shutil.copytree(FIGURES, tmp_path / "figs")
    manifest = json.loads((tmp_path / "figs" / "manifest.json").read_text(encoding="utf-8"))
    manifest["ua-funnel"]["data"]["data/series.csv"] = "0" * 64
    (tmp_path / "figs" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (tmp_path / "figs" / "ru-convictions.png").unlink()
    found = _plot.stale(tmp_path / "figs")
    assert [line.split(":")[0] for line in found] == ["ua-funnel", "ru-convictions"]


@pytest.mark.parametrize("name", list(_plot.PICTURES))
def test_render_is_deterministic(name):
    """Two renders of the same data are byte-identical, as SVG and as PNG."""
    for fmt in ("svg", "png"):
        assert _plot.render(name, fmt) == _plot.render(name, fmt), f"{name}.{fmt} differs between renders"


def test_funnel_span_is_the_latest_with_most_stages_for_both_articles():
    """Stages present for both articles count first; more stages for one article alone do not win;
    among equals the later end wins; a span without both registered counts is never chosen."""
    s = series_rows(
        # 2022-2023: registered and suspicion for both (2 stages each)
        ("awol_cases", "2022", "2023", 100),
        ("desertion_cases", "2022", "2023", 50),
        ("awol_cases_with_suspicion", "2022", "2023", 10),
        ("desertion_cases_with_suspicion", "2022", "2023", 5),
        # 2022-2024: registered for both, but court only for AWOL: 1 stage for both
        ("awol_cases", "2022", "2024", 200),
        ("desertion_cases", "2022", "2024", 90),
        ("awol_cases_to_court", "2022", "2024", 20),
        ("awol_cases_closed", "2022", "2024", 20),
        # 2025: many stages, but no registered desertion count
        ("awol_cases", "2025", "2025", 300),
        ("awol_cases_with_suspicion", "2025", "2025", 30),
        ("desertion_cases_with_suspicion", "2025", "2025", 3),
    )
    assert _plot.choose_funnel_span(s) == ("2022", "2023")
    later = pd.concat(
        [
            s,
            series_rows(
                ("awol_cases", "2021", "2023", 120),
                ("desertion_cases", "2021", "2023", 60),
                ("awol_cases_with_suspicion", "2021", "2023", 12),
                ("desertion_cases_with_suspicion", "2021", "2023", 6),
                ("awol_cases", "2022", "2023-06", 70),
                ("desertion_cases", "2022", "2023-06", 30),
                ("awol_cases_with_suspicion", "2022", "2023-06", 7),
                ("desertion_cases_with_suspicion", "2022", "2023-06", 3),
            ),
        ]
    )
    # same stages and end as 2022-2023: the later start wins; the earlier end loses
    assert _plot.choose_funnel_span(later) == ("2022", "2023")
    assert _plot.choose_funnel_span(s[s["measure"] != "desertion_cases"]) is None
    values = _plot.funnel_values(s, ("2022", "2023"))
    assert [(v["stage"], v["best"]) for v in values["desertion"]] == [
        ("registered", 50),
        ("suspicion served", 5),
    ]


def test_funnel_shows_the_chosen_span_and_its_values():
    """The funnel names the span the rule chose and shows each stage's best value from the series."""
    series = dd.series()
    span = _plot.choose_funnel_span(series)
    assert span is not None, "no span with registered counts for both articles: the funnel is empty"
    shown = texts(_plot.render("ua-funnel", "svg"))
    assert _plot.span_label(*span) in shown
    values = _plot.funnel_values(series, span)
    for art, stages in values.items():
        assert stages and stages[0]["stage"] == "registered", art
        for st in stages:
            assert _plot._number(st["best"]) in shown, (art, st)


def test_proceedings_show_each_yearly_value_and_dated_event():
    """Every yearly best value of AWOL and desertion proceedings is labelled; every dated UA event
    of the listed kinds is marked."""
    shown = texts(_plot.render("ua-proceedings", "svg"))
    s = dd.series("UA", freq="year")
    yearly = s[s["measure"].isin(["awol_cases", "desertion_cases"])]
    assert not yearly.empty
    for best in yearly["best"]:
        assert _plot._number(float(best)) in shown
    events = _plot._events({"events": dd.load("events")})
    for _, ev in events.iterrows():
        assert _plot._event_label(ev) in shown


def test_ru_convictions_measures_by_rule():
    """Convictions of desertion or AWOL counted in convictions or persons; no growth factors, no
    rates, no refusal-to-serve counts; and the picture labels each of their values."""
    chosen = _plot.conviction_measures(dd.load("measures"))
    assert chosen and all(("convict" in m or "verdict" in m) and not m.startswith("refusal") for m in chosen)
    assert not any(m.endswith("_growth") for m in chosen)
    rows = _plot.conviction_rows(dd.series(), dd.load("measures"))
    assert set(rows["freq"]) <= {"year", "span"} and set(rows["country"]) == {"RU"}
    shown = texts(_plot.render("ru-convictions", "svg"))
    for best in rows["best"]:
        assert _plot._number(float(best)) in shown


def run(args: list[str], capsys) -> tuple[int, str, str]:
    try:
        code = main(args)
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_plot_command_writes_and_refuses(tmp_path, capsys):
    """`plot` writes an SVG or PNG, refuses to replace without --force, a symbolic link, another suffix."""
    out = tmp_path / "f.svg"
    assert run(["plot", "ua-funnel", "--out", str(out)], capsys)[0] == 0
    assert out.read_bytes() == _plot.render("ua-funnel", "svg")
    code, _, err = run(["plot", "ua-funnel", "--out", str(out)], capsys)
    assert code == 1 and "--force" in err and len(err.splitlines()) == 1
    assert run(["plot", "ua-funnel", "--out", str(out), "--force"], capsys)[0] == 0
    target = tmp_path / "elsewhere.png"
    (tmp_path / "link.png").symlink_to(target)
    code, _, err = run(["plot", "ua-funnel", "--out", str(tmp_path / "link.png"), "--force"], capsys)
    assert code == 1 and "symbolic link" in err and not target.exists()
    code, _, err = run(["plot", "ua-funnel", "--out", str(tmp_path / "f.pdf")], capsys)
    assert code == 2 and ".svg or .png" in err
    code, _, err = run(["plot", "nope", "--out", str(tmp_path / "g.svg")], capsys)
    assert code == 2 and "invalid choice" in err


def test_plot_without_matplotlib_says_what_to_install(tmp_path, capsys, monkeypatch):
    """Without the plot extra, `plot` fails in one line naming the extra, and writes nothing."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = run(["plot", "ua-funnel", "--out", str(tmp_path / "f.svg")], capsys)
    assert code == 1 and "desertion-data[plot]" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "f.svg").exists()


def test_series_command_filters_like_the_loader(capsys):
    """`series --format csv` gives the rows dd.series gives for the same filters; text names them."""
    import csv
    import io

    code, out, _ = run(
        ["series", "--country", "UA", "--measure", "awol_cases", "--freq", "year", "--format", "csv"], capsys
    )
    assert code == 0
    got = list(csv.DictReader(io.StringIO(out)))
    want = dd.series("UA", "awol_cases", "year")
    assert [r["series_id"] for r in got] == list(want["series_id"])
    assert [float(r["best"]) for r in got] == [float(v) for v in want["best"]]
    code, out, _ = run(["series", "--country", "UA", "--measure", "awol_cases", "--freq", "year"], capsys)
    assert code == 0 and f"({len(want)} rows" in out
    for start in want["period_start"]:
        assert start in out
    code, _, err = run(["series", "--freq", "week"], capsys)
    assert code == 2 and "invalid choice" in err
