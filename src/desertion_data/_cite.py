"""How to cite the release in use, and the original source of one row."""

from __future__ import annotations

from typing import Literal

from desertion_data._package import descriptor, package_sha256

AUTHOR = "desertion-data maintainers"
STYLES = ("text", "bibtex", "cff")


def _facts(dp: dict, sha256: str) -> dict[str, str]:
    return {
        "title": dp["title"],
        "version": dp["version"],
        "date": dp["created"][:10],
        "year": dp["created"][:4],
        "license": dp["licenses"][0]["name"],
        "sha256": sha256,
    }


def release_citation(style: str, dp: dict, sha256: str) -> str:
    """The citation of the release that descriptor dp (whose file has this SHA-256) describes."""
    f = _facts(dp, sha256)
    if style == "text":
        return (
            f"{AUTHOR} ({f['year']}). desertion-data: {f['title']} (version {f['version']}, "
            f"released {f['date']}) [Data set]. {f['license']}. "
            f"Data package SHA-256 {f['sha256']}."
        )
    if style == "bibtex":
        key = "desertion_data_" + f["version"].replace(".", "_")
        return (
            f"@misc{{{key},\n"
            f"  author = {{{{{AUTHOR}}}}},\n"
            f"  title = {{desertion-data: {f['title']}}},\n"
            f"  year = {{{f['year']}}},\n"
            f"  version = {{{f['version']}}},\n"
            f"  note = {{Data set, released {f['date']}, {f['license']}; "
            f"data package SHA-256 {f['sha256']}}}\n"
            f"}}"
        )
    return (
        "cff-version: 1.2.0\n"
        "message: If you use this data, cite the release you used and the original sources of the rows.\n"
        "type: dataset\n"
        f'title: "desertion-data: {f["title"]}"\n'
        f"version: {f['version']}\n"
        f"date-released: {f['date']}\n"
        f"license: {f['license']}\n"
        "authors:\n"
        f'  - name: "{AUTHOR}"\n'
        "keywords:\n" + "".join(f'  - "{k}"\n' for k in dp["keywords"])
    )


def _cite_row(figure_id: str, style: str) -> str:
    import desertion_data

    figures = desertion_data.load("figures")
    row = figures[figures["figure_id"] == figure_id]
    if row.empty:
        raise KeyError(f"no figure with figure_id {figure_id!r}")
    fig = row.iloc[0]
    sources = desertion_data.load("sources")
    src = sources[sources["source_id"] == fig["source_id"]].iloc[0]

    import pandas as pd

    def text(value: object) -> str:
        return "" if pd.isna(value) else str(value)

    title = text(src["title"]) or "(untitled)"
    publisher = text(src["publisher"]) or "(publisher not stated)"
    date = text(src["published"]) or "undated"
    if style == "bibtex":
        return (
            f"@misc{{{fig['source_id']},\n  title = {{{title}}},\n  howpublished = {{{publisher}}},\n"
            f"  date = {{{text(src['published'])}}},\n  url = {{{src['url']}}}\n}}"
        )
    if style == "cff":
        return (
            f'- type: article\n  title: "{title}"\n  authors:\n    - name: "{publisher}"\n'
            f'  url: "{src["url"]}"\n' + (f"  date-published: {date}\n" if len(date) == 10 else "")
        )
    return (
        f"{publisher}. {title}. {date}. {src['url']} — stating: \u201c{fig['excerpt']}\u201d "
        f"(desertion-data {fig['figure_id']}, version {descriptor()['version']})"
    )


def cite(style: Literal["text", "bibtex", "cff"] = "text", figure_id: str | None = None) -> str:
    """A citation of this release (version, release date, data package SHA-256) in `style`.

    With `figure_id`, the citation of that figure's original source instead, with its excerpt.
    Raises ValueError for an unknown style, KeyError for an unknown figure_id.
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")
    if figure_id:
        return _cite_row(figure_id, style)
    return release_citation(style, descriptor(), package_sha256())
