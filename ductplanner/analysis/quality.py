"""Data-quality warnings: data that is valid but doubtful, each feature named with a fix.

A layer can pass its schema and still say something its sender did not mean:
an address with 0 households, an address 80 m from any street (it can never be
covered), a dig on no street, one road drawn twice. :func:`quality_warnings`
runs every check whose layers are at hand and returns one warning
(:class:`~ductplanner.core._errors.Problem` with severity ``"warning"``) per
feature; warnings never block an import. :data:`QUALITY_RULES` says in a few
words what each rule finds, for a summary of many findings of one rule.

>>> from ductplanner.app.demo import tiny_layers
>>> layers = tiny_layers()
>>> layers["addresses"].loc[0, "units"] = 0
>>> found = quality_warnings(layers)
>>> [(p.layer, p.feature_id, p.rule) for p in found]
[('addresses', 'A01', 'units-zero'), ('addresses', 'A16', 'beyond-drop')]
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..core._errors import Problem
from ..core._format import number_column, some_ids, text_column
from ..model.network import DUCT_TOLERANCE_M, StreetNetwork, build_network
from ..model.parallel import TWIN_DISTANCE_M, parallel_twins
from .addresses import DEFAULT_DROP_M, assign_addresses
from .overlay import AREA_TOLERANCE_M, LINE_TOLERANCE_M

__all__ = ["OWN_LAYER_RULES", "QUALITY_RULES", "quality_warnings"]

QUALITY_RULES: dict[str, str] = {
    "units-zero": "addresses with 0 units (households)",
    "beyond-drop": "addresses beyond the drop distance from every street",
    "site-beyond-drop": "sites beyond the drop distance from every street",
    "dig-off-street": "digs that touch no street",
    "street-twin": "streets drawn twice, side by side",
    "duplicate-geometry": "features with the same geometry as another",
    "street-island": "groups of streets joined to no other street",
    "duct-off-street": "ducts that leave the streets",
}
"""Each data-quality rule and what its warnings find, in a few words."""
OWN_LAYER_RULES = frozenset({"units-zero", "street-twin", "duplicate-geometry"})
"""The rules that read one layer alone and build no network (cheap enough for an import)."""

_OFF_STREET_MIN_M = 2 * DUCT_TOLERANCE_M
"""Metres of a duct away from every street before it is worth a warning."""
_ISLAND_IDS_SHOWN = 10


def quality_warnings(
    layers: Mapping[str, gpd.GeoDataFrame | None],
    *,
    drop: float = DEFAULT_DROP_M,
    source: str = "<memory>",
    rules: Collection[str] | None = None,
) -> list[Problem]:
    """Return a warning for every doubtful feature of the layers given.

    A check runs when its layers are present: on their own, ``addresses``
    (0 units) and every layer (duplicate geometries); with ``streets``, the
    street checks (twins, islands) and those against the streets (addresses and
    sites beyond ``drop``, digs touching no street, ducts leaving the streets).

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        Validated layers (each with an ``id`` column), in one metric CRS; a
        layer may be missing or None.
    drop : float
        Drop distance in metres.
    source : str
        Where the layers came from, for the warnings.
    rules : collection of str, optional
        Run only these rules of :data:`QUALITY_RULES` (default all); the
        network is built only for a rule that needs it.

    Returns
    -------
    list of Problem
        In the order of :data:`QUALITY_RULES`, then of the features.
    """
    present = {n: f for n, f in layers.items() if f is not None and len(f)}
    chosen = [r for r in QUALITY_RULES if rules is None or r in rules]
    network = None
    if "streets" in present and not set(chosen) <= OWN_LAYER_RULES:
        network = build_network(present["streets"], present.get("ducts"))
    context = _Context(present, network, drop, source)
    return [p for rule in chosen for p in _CHECKS[rule](context)]


class _Context:
    """What the checks read: the layers, the streets' network, the drop distance."""

    def __init__(
        self,
        layers: Mapping[str, gpd.GeoDataFrame],
        network: StreetNetwork | None,
        drop: float,
        source: str,
    ) -> None:
        self.layers = layers
        self.network = network
        self.drop = drop
        self.source = source

    def warning(
        self, layer: str, feature_id: str, rule: str, message: str, hint: str, field: str = ""
    ) -> Problem:
        return Problem(
            self.source, layer, feature_id, field, rule, message, hint, severity="warning"
        )


def _ids(frame: pd.DataFrame) -> np.ndarray:
    return text_column(frame, "id").to_numpy(dtype=object)


def _zero_units(c: _Context) -> list[Problem]:
    addresses = c.layers.get("addresses")
    if addresses is None or "units" not in addresses.columns:
        return []
    zero = (number_column(addresses, "units") == 0).to_numpy()
    return [
        c.warning(
            "addresses",
            i,
            "units-zero",
            f"address {i} has 0 units (households): it counts for nothing in coverage and plans",
            "set units to the households at the address; leave 0 only where no one lives",
            field="units",
        )
        for i in _ids(addresses)[zero]
    ]


def _points_beyond_drop(c: _Context, layer: str, rule: str, what: str) -> list[Problem]:
    points = c.layers.get(layer)
    if points is None or c.network is None:
        return []
    points = points.to_crs(c.network.crs) if points.crs != c.network.crs else points
    assigned = assign_addresses(points, c.network, drop=c.drop)
    beyond = assigned["beyond_drop"].to_numpy(dtype=bool)
    distance = assigned["distance_m"].to_numpy(dtype=float)
    return [
        c.warning(
            layer,
            i,
            rule,
            f"{what} {i} is {d:,.0f} m from the nearest street, beyond the drop distance of "
            f"{c.drop:g} m: no duct in a street can reach it",
            "check its position and CRS, or import the street or private road that leads to it",
            field="geometry",
        )
        for i, d in zip(_ids(points)[beyond], distance[beyond], strict=True)
    ]


def _addresses_beyond_drop(c: _Context) -> list[Problem]:
    return _points_beyond_drop(c, "addresses", "beyond-drop", "address")


def _sites_beyond_drop(c: _Context) -> list[Problem]:
    return _points_beyond_drop(c, "sites", "site-beyond-drop", "site")


def _digs_off_street(c: _Context) -> list[Problem]:
    digs = c.layers.get("digs")
    if digs is None or c.network is None:
        return []
    digs = digs.to_crs(c.network.crs) if digs.crs != c.network.crs else digs
    geoms = np.asarray(digs.geometry.values, dtype=object)
    is_area = np.isin(shapely.get_type_id(geoms), (3, 6))
    tolerance = np.where(is_area, AREA_TOLERANCE_M, LINE_TOLERANCE_M)
    touching = np.zeros(len(geoms), dtype=bool)
    for reach in np.unique(tolerance):
        rows = np.flatnonzero(tolerance == reach)
        hit, _ = c.network.tree.query(geoms[rows], predicate="dwithin", distance=reach)
        touching[rows[hit]] = True
    return [
        c.warning(
            "digs",
            i,
            "dig-off-street",
            f"dig {i} touches no street (none within {LINE_TOLERANCE_M:g} m of a line dig "
            f"or {AREA_TOLERANCE_M:g} m of an area): it opens nothing to lay a duct in",
            "check its geometry and CRS; a dig on private ground needs no co-digging request",
            field="geometry",
        )
        for i in _ids(digs)[~touching]
    ]


def _street_twins(c: _Context) -> list[Problem]:
    streets = c.layers.get("streets")
    if streets is None:
        return []
    lines, row = _single_lines(streets)
    twins = parallel_twins(lines)
    twins = twins.drop_duplicates("line")
    ids = _ids(streets)
    names = text_column(streets, "name").to_numpy(dtype=object)
    length = shapely.length(lines)
    warned: set[str] = set()
    out = []
    for line, twin, share in twins.itertuples(index=False):
        street, other = ids[row[line]], ids[row[twin]]
        if street == other or street in warned or other in warned:
            continue  # one warning per pair: keeping either line mends it
        warned.add(street)
        out.append(
            c.warning(
                "streets",
                street,
                "street-twin",
                f"street {street}{_named(names[row[line]])} runs beside street {other}"
                f"{_named(names[row[twin]])} for {share:.0%} of its "
                f"{length[line]:,.0f} m, within {TWIN_DISTANCE_M:g} m: one road drawn twice "
                "(each side as its own line) counts every dig along it twice",
                "keep one centre line per road: import the streets with --merge-twins",
                field="geometry",
            )
        )
    return out


def _named(name: str) -> str:
    """Return " (Skolevej)" for a street with a name, "" for one without."""
    return f" ({name})" if name else ""


def _single_lines(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    parts, row = shapely.get_parts(np.asarray(frame.geometry.values), return_index=True)
    keep = shapely.length(parts) > 0
    return parts[keep], row[keep]


def _duplicates(c: _Context) -> list[Problem]:
    out = []
    for layer, frame in c.layers.items():
        geoms = np.asarray(frame.geometry.values, dtype=object)
        usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        keys = np.full(len(geoms), None, dtype=object)
        keys[usable] = shapely.to_wkb(shapely.normalize(shapely.set_precision(geoms[usable], 0.01)))
        ids = _ids(frame)
        first: dict[bytes, str] = {}
        for i, key in zip(ids, keys, strict=True):
            if key is None:
                continue
            if key in first:
                out.append(
                    c.warning(
                        layer,
                        i,
                        "duplicate-geometry",
                        f"{layer} {i} has the same geometry as {first[key]}",
                        "remove it if it is the same feature imported twice",
                        field="geometry",
                    )
                )
            else:
                first[key] = i
    return out


def _street_islands(c: _Context) -> list[Problem]:
    network = c.network
    if network is None or not len(network.edges):
        return []
    is_street = (network.edges["kind"] == "street").to_numpy()
    component = network.street_components()
    length = pd.Series(network.length).groupby(component).sum()
    main = length.idxmax()
    street_id = network.edges["street_id"].to_numpy(dtype=object)
    # A component of duct lines alone, off the streets, has no street: the duct check names it.
    streets_of = pd.Series(street_id[is_street]).groupby(component[is_street]).unique()
    out = []
    for label in length.sort_values(ascending=False, kind="stable").index:
        if label == main or label not in streets_of.index:
            continue
        ids = list(streets_of[label])
        shown = some_ids(ids, _ISLAND_IDS_SHOWN)
        out.append(
            c.warning(
                "streets",
                ids[0],
                "street-island",
                f"{len(ids)} street{'s' if len(ids) != 1 else ''} ({length[label]:,.0f} m: "
                f"{shown}) join no other street: no duct can reach them along the streets",
                "close the gap at the junction (line ends more than 1 m apart) or import the "
                "streets that join them",
                field="geometry",
            )
        )
    return out


def _ducts_off_street(c: _Context) -> list[Problem]:
    network = c.network
    if network is None or "ducts" not in c.layers:
        return []
    edges = network.edges
    off = edges[(edges["kind"] == "duct").to_numpy()]
    metres = off.groupby("duct_id", sort=False)["length"].sum()
    return [
        c.warning(
            "ducts",
            str(duct),
            "duct-off-street",
            f"duct {duct} runs {m:,.0f} m farther than {DUCT_TOLERANCE_M:g} m from every "
            "street; that stretch is kept as a line of its own",
            "check its position and CRS if it should follow a street",
            field="geometry",
        )
        for duct, m in metres.items()
        if m >= _OFF_STREET_MIN_M
    ]


_CHECKS: dict[str, Callable[[_Context], list[Problem]]] = {
    "units-zero": _zero_units,
    "beyond-drop": _addresses_beyond_drop,
    "site-beyond-drop": _sites_beyond_drop,
    "dig-off-street": _digs_off_street,
    "street-twin": _street_twins,
    "duplicate-geometry": _duplicates,
    "street-island": _street_islands,
    "duct-off-street": _ducts_off_street,
}
"""The check behind each rule of :data:`QUALITY_RULES`."""
