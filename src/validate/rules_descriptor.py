"""Rules about the descriptor, the schema files and the way key cells are written.

Like every rule, each is one function whose name is its stable id; they are listed in the one
registry, `validate.rules.RULES`. None of them reads a row of data but `keys_normalised`, which
looks only at key columns already in memory.
"""

from __future__ import annotations

import copy
import hashlib
import unicodedata
from collections.abc import Iterable
from typing import Any

import polars as pl

from desertion_data._package import SCHEMA_HASH
from validate.package import Package, _key_names
from validate.report import Violation, error

DESCRIPTOR = "datapackage.json"
# profiles frictionless knows by name; any other would be fetched from a path or URL
PROFILES = {"data-package", "tabular-data-package", "data-resource", "tabular-data-resource"}
STANDARD = "https://datapackage.org/profiles/"


def normal_text(frame: pl.DataFrame, cols: Iterable[str]) -> pl.DataFrame:
    """The frame with text columns as keys are compared: NFC-normalised, surrounding whitespace
    stripped. A column is copied only where it needs either: ASCII text (the usual case) skips the
    costly normalisation, and text with no space at an end is left as it is."""
    out = []
    for col in cols:
        text = frame[col]
        if text.dtype != pl.String:
            continue
        changed = False
        if (text.str.len_bytes() != text.str.len_chars()).any():
            text, changed = text.str.normalize("NFC"), True
        if text.str.contains(r"^\s|\s$").any():
            text, changed = text.str.strip_chars(), True
        if changed:
            out.append(text)
    return frame.with_columns(out) if out else frame


def _custom_profiles(node: dict[str, Any], where: str) -> list[str]:
    """Drop (and name) a `profile` or `$schema` that frictionless would fetch from elsewhere."""
    found = []
    if "profile" in node and node["profile"] not in PROFILES:
        found.append(f"{where}profile: {str(node.pop('profile'))[:80]!r} is not a standard profile")
    if "$schema" in node and not str(node["$schema"]).startswith(STANDARD):
        found.append(f"{where}$schema: {str(node.pop('$schema'))[:80]!r} is not a datapackage.org profile")
    return found


def descriptor_valid(pkg: Package) -> Iterable[Violation]:
    """The descriptor and every Table Schema conform to the Data Package standard.

    frictionless's metadata validation (no row is read), run on the descriptor with each schema
    inlined. A custom `profile` or `$schema` (which frictionless would fetch from a path or a URL)
    and a `dialect` given as a path are errors of their own and are never followed.
    """
    from frictionless import Package as FrictionlessPackage
    from frictionless import Schema

    desc = copy.deepcopy(pkg.descriptor)
    out = [error("descriptor_valid", "", "", "", f"{DESCRIPTOR}: {p}") for p in _custom_profiles(desc, "")]
    for res in desc["resources"]:
        name = res["name"]
        at = f"{DESCRIPTOR}: resource {name!r}: "
        problems = _custom_profiles(res, at)
        if isinstance(res.get("dialect"), str):
            problems.append(f"{at}dialect: {str(res.pop('dialect'))[:80]!r} must be given inline")
        table = pkg.tables.get(name)
        where = res["schema"] if isinstance(res.get("schema"), str) else f"{at}schema"
        if table is not None:
            res["schema"] = copy.deepcopy(table.schema)
            problems += _custom_profiles(res["schema"], f"{at}schema: ")
            report = Schema.validate_descriptor(res["schema"])
            problems += [f"{where}: {note}" for note in _notes(report)]
        out += [error("descriptor_valid", name, "", "schema", p) for p in problems]
    out += [
        error("descriptor_valid", "", "", "", f"{DESCRIPTOR}: {note}")
        for note in _notes(FrictionlessPackage.validate_descriptor(desc))
    ]
    return out


def _notes(report) -> list[str]:
    """Each error of a frictionless report as one line, without repeats."""
    return list(dict.fromkeys(f"{kind}: {note}" for kind, note in report.flatten(["type", "note"])))


def schemas_intact(pkg: Package) -> Iterable[Violation]:
    """Each schema is the file the descriptor records, and schemas/ holds no other file.

    A resource's schema file must match the SHA-256 recorded as `x-schema-hash` (written by
    `nox -s stamp`), so that an edited schema is noticed like an edited table.
    """
    out, described = [], set()
    for res in pkg.descriptor["resources"]:
        ref = res.get("schema")
        if not isinstance(ref, str):
            continue
        described.add(ref)
        name, recorded = res["name"], res.get(SCHEMA_HASH)
        algo, _, want = str(recorded or "").rpartition(":")
        got = hashlib.new(algo or "md5", (pkg.base / ref).read_bytes()).hexdigest()
        if recorded is None:
            message = f"{ref}: the descriptor records no {SCHEMA_HASH} (run `nox -s stamp`)"
        elif got != want:
            message = f"{ref}: {algo or 'md5'} is {got}, the descriptor says {want} (run `nox -s stamp`)"
        else:
            continue
        out.append(error("schemas_intact", name, "", SCHEMA_HASH, message))
    folder = pkg.base / "schemas"
    for file in sorted(folder.rglob("*")) if folder.is_dir() else []:
        rel = file.relative_to(pkg.base).as_posix()
        if rel not in described and not (file.is_dir() and not file.is_symlink()):
            out.append(error("schemas_intact", "", "", "", f"{rel}: in schemas/ but no resource's schema"))
    return out


def files_regular(pkg: Package) -> Iterable[Violation]:
    """Every table and schema is a regular file, not a symlink.

    A link, even one that stays inside the package (a link leading out is refused before reading),
    lets a file change behind the descriptor's back; the package is copied and zipped as files.
    """
    out = []
    for res in pkg.descriptor["resources"]:
        for prop in ("path", "schema"):
            rel = res.get(prop)
            if not isinstance(rel, str):
                continue
            file = pkg.base / rel
            links = [p for p in (file, *file.parents) if p.is_relative_to(pkg.base) and p != pkg.base]
            link = next((p for p in links if p.is_symlink()), None)
            if link is not None:
                shown = link.relative_to(pkg.base).as_posix()
                out.append(error("files_regular", res["name"], "", prop, f"{shown}: a symlink, not a file"))
    return out


def keys_normalised(pkg: Package) -> Iterable[Violation]:
    """Key cells are written one way: Unicode NFC, no space or tab at either end.

    Applies to every primary- and foreign-key column. 'kyiv ' and 'kyiv', or 'é' composed and
    decomposed, look alike but compare unequal, so a repeated claim or a broken reference would
    hide behind them (claim_unique and claims_agree compare keys normalised all the same).
    """
    out = []
    for name, table in pkg.tables.items():
        cols = dict.fromkeys(_key_names(table.schema))
        for fk in table.schema.get("foreignKeys", []):
            fk_fields = fk.get("fields")
            cols.update(dict.fromkeys([fk_fields] if isinstance(fk_fields, str) else fk_fields))
        text = [c for c in cols if table.frame.schema.get(c) == pl.String]
        if not text or table.frame.is_empty():
            continue
        normal = normal_text(table.frame.select(text), text)
        for col in text:
            changed = (table.frame[col] != normal[col]).fill_null(False)
            for i in changed.arg_true().to_list():
                cell = table.frame[col][i]
                why = "space at an end" if cell != cell.strip() else "not in Unicode NFC"
                if why == "space at an end" and unicodedata.normalize("NFC", cell) != cell:
                    why += ", not in Unicode NFC"
                out.append(
                    error("keys_normalised", name, table.keys[i], col, f"{table.path}: {col} {cell!r}: {why}")
                )
    return out
