"""The demo municipality assembled: every layer generated and validated."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ...model.layers import DEFAULT_WORKSPACE_CRS, require_valid, validate_layer
from .addresses import address_labels, make_addresses
from .digs import make_digs
from .ducts import Router, choose_pops, make_backbone, make_ducts, place_sites
from .plan import DISTRICTS, Layout, NamePool, make_layout
from .streets import StreetNetwork, build_network

# --- assembling the layers -----------------------------------------------------------------


def _validated(frame: pd.DataFrame, layer: str) -> gpd.GeoDataFrame:
    gdf = gpd.GeoDataFrame(frame, geometry="geometry", crs=DEFAULT_WORKSPACE_CRS)
    clean, problems = validate_layer(gdf, layer, source="synthetic demo")
    require_valid(problems)
    return clean


def _numbered(prefix: str, n: int, width: int) -> list[str]:
    return [f"{prefix}{i + 1:0{width}d}" for i in range(n)]


def _streets_layer(
    network: StreetNetwork,
    ducts: pd.DataFrame,
    digs: list[dict[str, object]],
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    n = len(network.u)
    last_dug = np.where(rng.random(n) < 0.25, rng.integers(1990, 2019, n), -1)
    if len(ducts):
        last_dug[ducts["street"].to_numpy()] = ducts["year_laid"].to_numpy()
    done = [d["geometry"] for d in digs if d["status"] == "done"]
    if done:
        tree = shapely.STRtree(network.geometry)
        hits = tree.query(shapely.buffer(np.array(done), 1.0), predicate="contains")[1]
        last_dug[hits] = 2019
    classes = np.array(["through", "distributor", "local", "path"], dtype=object)
    unknown = np.full(n, None, dtype=object)
    frame = pd.DataFrame(
        {
            "id": _numbered("S", n, 5),
            "name": network.name,
            "road_class": classes[network.cls],
            "last_dug": pd.array(np.where(last_dug > 0, last_dug, unknown), dtype="Int64"),
            "geometry": network.geometry,
        }
    )
    return _validated(frame, "streets")


def _ducts_layer(network: StreetNetwork, ducts: pd.DataFrame) -> gpd.GeoDataFrame:
    return _validated(
        pd.DataFrame(
            {
                "id": _numbered("D", len(ducts), 4),
                "year_laid": ducts["year_laid"],
                "status": "existing",
                "origin": ducts["origin"],
                "owner": "Ballerup Kommune",
                "diameter_mm": ducts["diameter_mm"],
                "tubes": ducts["tubes"],
                "spare_tubes": ducts["spare_tubes"],
                "geometry": network.geometry[ducts["street"].to_numpy(dtype=np.int64)],
            }
        ),
        "ducts",
    )


def _sites_layer(sites: pd.DataFrame, connected: np.ndarray) -> gpd.GeoDataFrame:
    return _validated(
        pd.DataFrame(
            {
                "id": _numbered("SITE", len(sites), 2),
                "name": sites["name"],
                "kind": sites["kind"],
                "priority": sites["priority"],
                "connected": connected,
                "geometry": shapely.points(sites["x"], sites["y"]),
            }
        ),
        "sites",
    )


def _addresses_layer(
    addresses: pd.DataFrame, layout: Layout, network: StreetNetwork
) -> gpd.GeoDataFrame:
    return _validated(
        pd.DataFrame(
            {
                "id": _numbered("A", len(addresses), 6),
                "units": addresses["units"],
                "kind": addresses["kind"],
                "speed_down_mbps": addresses["speed_down_mbps"],
                "speed_up_mbps": addresses["speed_up_mbps"],
                "address": address_labels(layout, network, addresses),
                "geometry": shapely.points(addresses["x"], addresses["y"]),
            }
        ),
        "addresses",
    )


def _districts_layer(layout: Layout) -> gpd.GeoDataFrame:
    return _validated(
        pd.DataFrame(
            {
                "id": _numbered("DIS", len(DISTRICTS), 2),
                "name": [d.name for d in DISTRICTS],
                "geometry": layout.polygons,
            }
        ),
        "districts",
    )


def generate_demo(seed: int = 2019, *, scale: float = 1.0) -> dict[str, gpd.GeoDataFrame]:
    """Generate the synthetic Ballerup-like demo municipality.

    Parameters
    ----------
    seed : int
        Seed of every random choice; the same seed gives identical layers.
    scale : float
        Area and population relative to the municipality (1.0: about 23,000
        households on 35 km²; 0.05: a small town). The plan is shrunk or
        grown about the middle of Ballerup; block sizes stay real.

    Returns
    -------
    dict of str to GeoDataFrame
        The seven input layers (``streets``, ``ducts``, ``backbone``,
        ``sites``, ``digs``, ``addresses``, ``districts``) in EPSG:25832, each
        valid against its schema.

    Raises
    ------
    ValueError
        If ``scale`` is outside [0.01, 50].

    Examples
    --------
    >>> layers = generate_demo(scale=0.05)
    >>> sorted(layers["digs"]["owner"].unique())[:2]
    ['Ballerup Kommune', 'Evida']
    """
    if not 0.01 <= float(scale) <= 50:
        raise ValueError(f"scale must lie in [0.01, 50], got {scale!r}")
    rng = np.random.default_rng(seed)
    layout = make_layout(float(scale), rng)
    pool = NamePool(rng)
    network, farms = build_network(layout, pool, rng)
    addresses = make_addresses(layout, network, farms, rng)
    router = Router(network)
    pops = choose_pops(layout, network)
    sites = place_sites(layout, network, pops[0][1], rng)
    backbone, backbone_nodes, connected = make_backbone(network, router, pops, sites, rng)
    ducts = make_ducts(layout, network, router, backbone_nodes, rng)
    digs = make_digs(layout, network, router, backbone_nodes, sites, connected, rng)
    return {
        "streets": _streets_layer(network, ducts, digs, rng),
        "ducts": _ducts_layer(network, ducts),
        "backbone": _validated(pd.DataFrame(backbone), "backbone"),
        "sites": _sites_layer(sites, connected),
        "digs": _validated(pd.DataFrame(digs), "digs"),
        "addresses": _addresses_layer(addresses, layout, network),
        "districts": _districts_layer(layout),
    }
