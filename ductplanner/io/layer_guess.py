"""Guessing the layer a file is meant for, from its mapping, fields or name.

:func:`guess_layer` lets ``ductplanner import`` run without ``--layer``: it
tries the mapping's layer, a built-in mapping detected from the fields, words
in the file or layer name, and the schema whose fields the file has most of.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from ..core._errors import InputError
from ..model.layers import INPUT_LAYERS, SCHEMAS
from .mappings import guess_mapping, load_mapping, make_problem
from .raw_file import is_table, require_file
from .table_reader import decode, sniff_separator
from .vector_reader import list_source_layers, read_driver, read_info

__all__ = ["guess_layer"]


_LAYER_WORDS: dict[str, tuple[str, ...]] = {
    "streets": ("street", "streets", "road", "roads", "vej", "veje", "vejmidte", "vejnet",
                "vejmidter", "highway", "highways", "centerline", "centreline"),
    "ducts": ("duct", "ducts", "tomror", "tomrør", "tomroer", "tomrørsanlæg"),
    "backbone": ("backbone", "pop", "pops"),
    "sites": ("site", "sites", "institution", "institutioner", "skole", "skoler"),
    "digs": ("dig", "digs", "graveplan", "graveplaner", "gravearbejde", "gravearbejder",
             "excavation", "excavations", "works"),
    "addresses": ("address", "addresses", "adresse", "adresser", "adgangsadresser"),
    "districts": ("district", "districts", "distrikt", "distrikter", "skoledistrikter"),
}  # fmt: skip


def _name_words(text: str) -> set[str]:
    return {w for w in re.split(r"[^\w]+|_", text.lower()) if w}


def guess_layer(
    path: str | Path,
    *,
    mapping: str | Path | None = None,
    source_layer: str | None = None,
) -> tuple[str, str]:
    """Return the layer a file is most likely meant for, and why.

    Tried in order: the mapping's layer; a built-in mapping detected from the
    fields; words in the file or layer name (``digs``, ``graveplaner``,
    ``adresser``...); the layer whose schema fields the file has most of.

    Returns
    -------
    layer : str
    reason : str
        A sentence for the user, e.g. ``"guessed from the file name"``.

    Raises
    ------
    InputError
        When nothing points to one layer.
    """
    path = Path(path)
    require_file(path)
    if mapping is not None:
        chosen = load_mapping(mapping)
        return chosen.layer, f"the layer of the {chosen.name} mapping"
    names, columns, driver = _peek(path, source_layer)
    detected = guess_mapping(columns, driver=driver)
    if detected is not None:
        return (
            detected.layer,
            f"guessed from the fields: they look like {detected.title or detected.name}",
        )
    for text, what in ((path.name.split(".")[0], "file name"), *((n, "layer name") for n in names)):
        words = _name_words(text)
        hits = [layer for layer, known in _LAYER_WORDS.items() if words & set(known)]
        if len(hits) == 1:
            return hits[0], f"guessed from the {what} {text!r}"
    lower = {c.lower() for c in columns}
    scores = {
        layer: sum(f.name in lower for f in SCHEMAS[layer].fields[1:]) for layer in INPUT_LAYERS
    }
    best = max(scores.values())
    winners = [layer for layer, score in scores.items() if score == best]
    if best > 0 and len(winners) == 1:
        matched = [f.name for f in SCHEMAS[winners[0]].fields[1:] if f.name in lower]
        return winners[0], f"guessed from the fields {', '.join(matched)}"
    raise InputError(
        [
            make_problem(
                str(path),
                "",
                "layer-unknown",
                "cannot tell which layer the file is meant for: neither its name nor its "
                f"fields ({', '.join(columns) or 'none'}) point to one",
                f"pass --layer, one of: {', '.join(INPUT_LAYERS)}",
            )
        ]
    )


def _peek(path: Path, source_layer: str | None) -> tuple[list[str], list[str], str | None]:
    """Return a file's layer names, the fields of the layer to read, and its driver."""
    if is_table(path):
        with contextlib.suppress(Exception):
            text, _ = decode(path.read_bytes()[:65536])
            header = text.splitlines()[0] if text.strip() else ""
            separator = sniff_separator(header)
            return [], [c.strip().strip('"') for c in header.split(separator)], "CSV"
        return [], [], "CSV"
    names, problems = list_source_layers(path, str(path), "")
    if problems:
        raise InputError(problems)
    chosen = source_layer if source_layer in names else (names[0] if len(names) == 1 else None)
    driver = read_driver(path, names[0] if names else None)
    if chosen is None:
        by_schema = [n for n in names if n in INPUT_LAYERS]
        chosen = by_schema[0] if len(by_schema) == 1 else None
    info = read_info(path, chosen) if chosen else None
    columns = [str(f) for f in info.get("fields", [])] if info else []
    return ([chosen] if chosen else names), columns, driver
