"""The street network seen from one stretch: what a duct laid there would reach.

Which junctions reach the backbone today, the duct islands and their households, and
for a stretch laid alone the households it covers at once and once connected (see
"Households" in :mod:`ductplanner.analysis.opportunities`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model.network import StreetNetwork

__all__ = ["Reach", "duct_reach", "households_touched", "root_nodes"]


def root_nodes(network: StreetNetwork) -> np.ndarray:
    """Return the nodes a duct reaches the backbone at.

    The backbone's attachment nodes (the point of presence's junction, the
    junctions along a fibre line), and both ends of any edge the backbone
    touches without touching either of its ends (a fibre line crossing a
    street), so that a duct on any edge the backbone touches is connected, as
    in :meth:`~ductplanner.model.network.StreetNetwork.connected_edges`.
    """
    nodes = network.backbone_node.copy()
    touched = network.backbone_edge & ~(nodes[network.u] | nodes[network.v])
    nodes[network.u[touched]] = True
    nodes[network.v[touched]] = True
    return np.flatnonzero(nodes)


@dataclass
class Reach:
    """Which junctions reach the backbone today, and the duct islands with their households.

    Attributes
    ----------
    linked_node : ndarray of bool
        Per node: on the connected duct network or a root (see :func:`root_nodes`).
    island_of_edge : ndarray of int
        Per edge: its duct island's label (-1: not an island duct).
    island_households : ndarray of float
        Households per island label.
    """

    linked_node: np.ndarray
    island_of_edge: np.ndarray
    island_households: np.ndarray


def duct_reach(network: StreetNetwork, households: np.ndarray) -> Reach:
    """Return what the network's ducts reach today.

    Parameters
    ----------
    network : StreetNetwork
    households : ndarray of int
        Households per edge (network edge order).

    Returns
    -------
    Reach
    """
    connected = network.connected_edges()
    linked = np.zeros(network.n_nodes, dtype=bool)
    linked[root_nodes(network)] = True
    linked[network.u[connected]] = True
    linked[network.v[connected]] = True
    component = network.duct_components()
    island = np.where(network.has_duct & ~connected, component, -1)
    n_labels = int(component.max()) + 1 if len(component) else 0
    inside = island >= 0
    island_hh = np.bincount(island[inside], weights=households[inside], minlength=n_labels)
    return Reach(linked, island, island_hh)


def households_touched(
    network: StreetNetwork, reach: Reach, edges: np.ndarray, households: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return, per edge laid alone, the households it covers and what it touches.

    Parameters
    ----------
    network : StreetNetwork
    reach : Reach
        From :func:`duct_reach` on ``network`` and ``households``.
    edges : ndarray of int
        Positions in ``network.edges`` (one per stretch; repeats allowed).
    households : ndarray of int
        Households per edge (network edge order).

    Returns
    -------
    now : ndarray of int
        Households covered at once: ``potential`` when the edge touches the
        connected network or a root, else 0.
    potential : ndarray of int
        Households of the edge plus those of the duct islands it touches.
    touches : ndarray of str
        ``"network"``, ``"island"`` or ``"none"``.
    """
    u, v = network.u[edges], network.v[edges]
    on_network = reach.linked_node[u] | reach.linked_node[v]
    # islands meeting each end node of the stretch
    duct = np.flatnonzero(reach.island_of_edge >= 0)
    node_island = pd.DataFrame(
        {
            "node": np.concatenate([network.u[duct], network.v[duct]]),
            "island": np.tile(reach.island_of_edge[duct], 2),
        }
    ).drop_duplicates()
    ends = pd.DataFrame({"row": np.tile(np.arange(len(edges)), 2), "node": np.r_[u, v]})
    touched = ends.merge(node_island, on="node").drop_duplicates(["row", "island"])
    extra = np.bincount(
        touched["row"].to_numpy(dtype=np.int64),
        weights=reach.island_households[touched["island"].to_numpy(dtype=np.int64)],
        minlength=len(edges),
    )
    on_island = np.zeros(len(edges), dtype=bool)
    on_island[touched["row"].to_numpy(dtype=np.int64)] = True
    potential = np.round(households[edges] + extra).astype(np.int64)
    now = np.where(on_network, potential, 0)
    touches = np.where(on_network, "network", np.where(on_island, "island", "none"))
    return now, potential, touches.astype(object)
