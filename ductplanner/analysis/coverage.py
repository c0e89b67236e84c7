"""Coverage: which households our connected ducts reach, and which are served already.

An address is assigned to its nearest street edge within the *drop distance*
(default 30 m: the stretch a fibre provider digs from the street to the
house). It is **duct-covered** when that edge carries a duct connected,
through ducts, to the backbone; it is **served** when it is duct-covered or
already has modern broadband (at least 100 Mbit/s down and 30 Mbit/s up,
the Danish target). Addresses farther than the drop distance from every
street are reported (``beyond_drop``), never dropped.

Municipal sites are required targets: a site is connected when its
``connected`` flag says so or its nearest edge within the drop distance
carries a connected duct; for the others the report gives the metres of duct
missing along the streets and where they would start from.

Every figure is a count with its denominator (see :func:`ductplanner.core._format.share`).

This module builds the report (:func:`compute_coverage`, :class:`CoverageReport`);
the per-address and per-district counts come from :mod:`ductplanner.analysis.addresses`,
the sites from :mod:`ductplanner.analysis.sites` and the input checks from
:mod:`ductplanner.analysis.checks`. Their public names are importable from here too.

>>> from ductplanner.app.demo import tiny_layers
>>> report = compute_coverage(tiny_layers())
>>> s = report.summary()
>>> s["households_duct_covered"], s["households_served"], s["households_total"]
(6, 8, 40)
>>> print(report.headline())
duct-covered: 6 of 40 households, 15.0 %
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core._errors import Problem
from ..core._format import metres, share
from ..core.progress import OnStep, no_step
from ..model.layers import SCHEMAS
from ..model.network import StreetNetwork, build_network
from .addresses import (
    DEFAULT_DROP_M,
    TARGET_DOWN_MBPS,
    TARGET_UP_MBPS,
    address_coverage,
    assign_addresses,
    coverage_counts,
    district_coverage,
    edge_demand,
)
from .checks import check_drop, require_geometry, require_layers
from .sites import site_coverage

__all__ = [
    "COVERAGE_STEPS",
    "DEFAULT_DROP_M",
    "TARGET_DOWN_MBPS",
    "TARGET_UP_MBPS",
    "CoverageReport",
    "address_coverage",
    "assign_addresses",
    "check_drop",
    "compute_coverage",
    "district_coverage",
    "edge_demand",
    "island_table",
    "require_geometry",
    "require_layers",
    "site_coverage",
]

COVERAGE_STEPS = ("addresses to streets", "districts, sites and islands")
"""The phases :func:`compute_coverage` reports to ``on_step`` after those of the network."""

_COUNT_KEYS = (
    "households_total",
    "households_duct_covered",
    "households_served",
    "addresses_total",
    "addresses_duct_covered",
    "addresses_beyond_drop",
)


# --- islands -------------------------------------------------------------------------------------


def island_table(
    network: StreetNetwork, coverage: pd.DataFrame, has_duct: np.ndarray | None = None
) -> pd.DataFrame:
    """Return the duct islands with the households they would serve once connected.

    Parameters
    ----------
    network : StreetNetwork
    coverage : DataFrame
        From :func:`address_coverage` on ``network``.
    has_duct : ndarray of bool, optional
        Duct flag per edge to evaluate instead of the built one.

    Returns
    -------
    DataFrame
        :meth:`StreetNetwork.islands` plus ``households`` and ``addresses``
        (assigned to the island's edges; those at the target speed already
        included).
    """
    table = network.islands(has_duct).copy()
    demand = edge_demand(coverage, network)
    island = np.zeros(len(network.edges), dtype=np.int64)
    for number, ids in zip(table.index, table["edge_ids"], strict=True):
        island[network.positions(ids)] = number
    for column in ("households", "addresses"):
        sums = np.bincount(island, weights=demand[column].to_numpy(), minlength=len(table) + 1)
        table[column] = sums[1:].round().astype(np.int64)
    return table


# --- the whole report ---------------------------------------------------------------------------


@dataclass
class CoverageReport:
    """Coverage of one workspace state, with everything needed to explain it.

    Attributes
    ----------
    addresses : GeoDataFrame
        Per address, from :func:`address_coverage`.
    districts : GeoDataFrame
        Per district, from :func:`district_coverage` (empty without districts).
    sites : GeoDataFrame
        Per site, from :func:`site_coverage`.
    islands : DataFrame
        From :func:`island_table`.
    network : StreetNetwork
    drop : float
        Drop distance used, metres.
    problems : list of Problem
        Warnings (loose backbone features, no backbone...).
    """

    addresses: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    islands: pd.DataFrame
    network: StreetNetwork
    drop: float
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the JSON summary (the public keys of ``ductplanner coverage --json``)."""
        out: dict[str, Any] = {"drop_m": self.drop}
        out.update(coverage_counts(self.addresses))
        out["sites_total"] = len(self.sites)
        out["sites_connected"] = int(self.sites["connected"].sum())
        out["districts"] = self._district_counts()
        out["addresses_outside_districts"] = int((self.addresses["district_pos"] < 0).sum())
        connected = self.network.connected_edges()
        out["duct_m"] = round(float(self.network.length[self.network.has_duct].sum()), 1)
        out["duct_connected_m"] = round(float(self.network.length[connected].sum()), 1)
        out["edges"] = len(self.network.edges)
        out["nodes"] = self.network.n_nodes
        out["islands_total"] = len(self.islands)
        out["islands"] = [
            {
                "island": int(i),
                "edges": int(r.edges),
                "length_m": float(r.length_m),
                "households": int(r.households),
                "addresses": int(r.addresses),
                "edge_ids": list(r.edge_ids),
            }
            for i, r in self.islands.iterrows()
        ]
        out["sites"] = [
            {
                "id": str(r.id),
                "name": str(r.name),
                "kind": str(r.kind),
                "connected": bool(r.connected),
                "via": str(r.via),
                "from_kind": str(r.from_kind),
                "from_id": str(r.from_id),
                "missing_m": None if pd.isna(r.missing_m) else float(r.missing_m),
            }
            for r in self.sites.itertuples()
        ]
        out["warnings"] = [str(p) for p in self.problems]
        return out

    def _district_counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        keys = [*_COUNT_KEYS, "addresses_served", "households_beyond_drop"]
        for row in self.districts.itertuples():
            entry = out.setdefault(str(row.name), dict.fromkeys(keys, 0))
            for key in keys:
                entry[key] += int(getattr(row, key))
        return out

    def headline(self) -> str:
        """Return one line: the households duct-covered, with numerator and denominator."""
        c = coverage_counts(self.addresses)
        return f"duct-covered: {_hh(c['households_duct_covered'], c['households_total'])}"

    def text(self) -> str:
        """Return the human summary: totals, beyond-drop, sites, islands and districts."""
        c = coverage_counts(self.addresses)
        hh, ad = c["households_total"], c["addresses_total"]
        d = f"{self.drop:g}"
        lines = [
            f"Coverage (drop distance {d} m; existing ducts connected to the backbone)",
            f"  duct-covered  {_hh(c['households_duct_covered'], hh)}"
            f"  ({share(c['addresses_duct_covered'], ad, 'addresses')})",
            f"  served        {_hh(c['households_served'], hh)}"
            f"  ({share(c['addresses_served'], ad, 'addresses')}):"
            f" duct-covered, or {TARGET_DOWN_MBPS:g}/{TARGET_UP_MBPS:g} Mbit/s already",
            f"  beyond drop   {share(c['addresses_beyond_drop'], ad, 'addresses')}"
            f" ({c['households_beyond_drop']} households): farther than {d} m from every"
            " street; listed in the coverage layer (beyond_drop)",
        ]
        connected = int(self.sites["connected"].sum())
        lines.append(f"  sites         {share(connected, len(self.sites), 'sites')} connected")
        loose = self.sites[~self.sites["connected"]].sort_values("missing_m", kind="stable")
        for r in loose.head(_LISTED).itertuples():
            lines.append(f"                not connected: {r.name} ({r.kind}): {_need(r)}")
        if len(loose) > _LISTED:
            lines.append(f"                ... and {len(loose) - _LISTED} more (see --json)")
        if len(self.islands):
            lines.append(
                f"  islands       {len(self.islands)} duct island(s) not connected to the"
                f" backbone: {metres(float(self.islands['length_m'].sum()))} of duct,"
                f" {int(self.islands['households'].sum())} households on them"
            )
        districts = self._district_counts()
        width = max([13, *(len(name) for name in list(districts)[:_LISTED])])
        for name, n in list(districts.items())[:_LISTED]:
            total = n["households_total"]
            lines.append(
                f"  {name:<{width}} duct-covered {_hh(n['households_duct_covered'], total)};"
                f" served {_hh(n['households_served'], total)}"
            )
        if len(districts) > _LISTED:
            lines.append(
                f"  ... and {len(districts) - _LISTED} more districts (district_coverage layer)"
            )
        outside = int((self.addresses["district_pos"] < 0).sum())
        if len(self.districts) and outside:
            lines.append(f"  {share(outside, ad, 'addresses')} lie in no district")
        lines += [f"  warning: {p}" for p in self.problems]
        return "\n".join(lines)

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """Return the ``coverage`` and ``district_coverage`` layers, typed by their schemas."""
        return {
            "coverage": _typed_layer(self.addresses, "coverage"),
            "district_coverage": _typed_layer(self.districts, "district_coverage"),
        }


_LISTED = 30
"""How many sites and districts the text lists before summing up the rest."""


def _hh(part: int, total: int) -> str:
    return share(part, total, "households")


def _need(site: Any) -> str:
    if pd.isna(site.missing_m):
        return "no duct or backbone reachable along the streets"
    return f"{metres(site.missing_m)} of duct missing, from {site.from_kind} {site.from_id}"


_DTYPE = {"str": "object", "int": "Int64", "float": "Float64", "bool": "boolean"}


def _typed_layer(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    schema = SCHEMAS[layer]
    data = {
        f.name: pd.array(frame[f.name].to_numpy(), dtype=_DTYPE[f.type])
        if f.type != "str"
        else frame[f.name].astype(object).where(frame[f.name].notna(), None).to_numpy()
        for f in schema.fields
    }
    return gpd.GeoDataFrame(
        pd.DataFrame(data), geometry=frame.geometry.values, crs=frame.crs
    ).reset_index(drop=True)


def compute_coverage(
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    drop: float = DEFAULT_DROP_M,
    speed_down_mbps: float = TARGET_DOWN_MBPS,
    speed_up_mbps: float = TARGET_UP_MBPS,
    duct_statuses: Sequence[str] = ("existing",),
    network: StreetNetwork | None = None,
    source: str = "<memory>",
    on_step: OnStep | None = None,
    **network_options: Any,
) -> CoverageReport:
    """Compute coverage from the workspace layers.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        ``streets`` and ``addresses`` are required; ``ducts``, ``backbone``,
        ``sites`` and ``districts`` are used when present.
    drop : float
        Drop distance in metres.
    speed_down_mbps, speed_up_mbps : float
        The speed at which an address counts as served already.
    duct_statuses : sequence of str
        Which ducts count (default: only those that exist, not planned ones).
    network : StreetNetwork, optional
        A network built already (then ``streets``, ``ducts`` and
        ``backbone`` are not read again).
    source : str
        Where the layers came from, for error messages.
    on_step : callable, optional
        Called with the name of each phase as it begins (the network's, when
        it builds one, then :data:`COVERAGE_STEPS`), e.g. a progress bar's ``step``.
    **network_options
        Passed to :func:`~ductplanner.model.network.build_network`.

    Returns
    -------
    CoverageReport

    Raises
    ------
    InputError
        A required layer is missing, or a feature has no usable geometry.
    """
    check_drop(drop)
    require_layers(layers, ("streets", "addresses"), source)
    addresses = layers["addresses"]
    require_geometry(addresses, "addresses", ("Point",), source)
    sites = layers.get("sites")
    districts = layers.get("districts")
    backbone = layers.get("backbone")
    problems: list[Problem] = []
    if network is None:
        network = _network_of(layers, duct_statuses, source, network_options, on_step)
    step = on_step or no_step
    step(COVERAGE_STEPS[0])
    problems += network.problems
    if backbone is None or backbone.empty:
        problems.append(_no_backbone(source))
    crs = network.crs
    addresses = _to_crs(addresses, crs)
    districts = _to_crs(districts, crs) if districts is not None and len(districts) else None
    covered = address_coverage(
        addresses,
        network,
        drop=drop,
        districts=districts,
        speed_down_mbps=speed_down_mbps,
        speed_up_mbps=speed_up_mbps,
    )
    step(COVERAGE_STEPS[1])
    if districts is not None:
        per_district = district_coverage(covered, districts)
    else:
        per_district = _empty_districts(crs)
    if sites is not None and len(sites):
        require_geometry(sites, "sites", ("Point",), source)
        site_table = site_coverage(_to_crs(sites, crs), network, drop=drop, backbone=backbone)
    else:
        site_table = site_coverage(_empty_sites(crs), network, drop=drop)
    islands = island_table(network, covered)
    return CoverageReport(covered, per_district, site_table, islands, network, drop, problems)


def _network_of(
    layers: Mapping[str, gpd.GeoDataFrame],
    duct_statuses: Sequence[str],
    source: str,
    network_options: Mapping[str, Any],
    on_step: OnStep | None,
) -> StreetNetwork:
    """Build the street network with the ducts of the given statuses."""
    streets = layers["streets"]
    require_geometry(streets, "streets", ("LineString", "MultiLineString"), source)
    ducts = layers.get("ducts")
    if ducts is not None and "status" in ducts.columns:
        ducts = ducts[ducts["status"].isin(list(duct_statuses)).to_numpy(dtype=bool)]
    return build_network(streets, ducts, layers.get("backbone"), on_step=on_step, **network_options)


def _no_backbone(source: str) -> Problem:
    """Return the warning that without a backbone no duct can be connected."""
    return Problem(
        source,
        "backbone",
        "",
        "",
        "backbone-missing",
        "there is no backbone, so no duct can be connected",
        "import the points of presence and fibre lines into the backbone layer",
        severity="warning",
    )


def _to_crs(gdf: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    if gdf.crs is not None and crs is not None and gdf.crs != crs and len(gdf):
        return gdf.to_crs(crs)
    return gdf


def _empty_districts(crs: Any) -> gpd.GeoDataFrame:
    columns = ["id", "name", *_COUNT_KEYS, "addresses_served", "households_beyond_drop"]
    frame = pd.DataFrame(
        {c: pd.Series(dtype="int64" if c not in ("id", "name") else object) for c in columns}
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs).values, crs=crs)


def _empty_sites(crs: Any) -> gpd.GeoDataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in ("id", "name", "kind")})
    frame["connected"] = pd.Series(dtype=bool)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs=crs).values, crs=crs)
