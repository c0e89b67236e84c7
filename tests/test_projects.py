"""Digging comes in renewal projects: connected groups of streets opened in one season.

On a 20 x 20 grid of 100 m street edges (84 km): the cut into projects gives
connected pieces of about the asked length; every edge of a project is dug
in the same year; each edge is still dug as the renewal process says; and
the share of streets dug in a year varies from future to future as over
projects, not over edges.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import sparse
from scipy.sparse import csgraph

from ductplanner.app.demo import tiny_layers
from ductplanner.app.workflows.maps import forecast_map
from ductplanner.app.workflows.report import build_report
from ductplanner.app.workflows.simulate import read_forecast
from ductplanner.cli import main
from ductplanner.io.workspace import write_layers
from ductplanner.model.scenarios import parse_scenario
from ductplanner.simulate import Renewal, SimulationInput, simulate
from ductplanner.simulate.digs import PlanFates, draw_digs
from ductplanner.simulate.projects import project_partitions

SIDE = 20


def _grid() -> SimulationInput:
    node = np.arange((SIDE + 1) ** 2).reshape(SIDE + 1, SIDE + 1)
    across = np.c_[node[:, :-1].ravel(), node[:, 1:].ravel()]
    down = np.c_[node[:-1, :].ravel(), node[1:, :].ravel()]
    uv = np.r_[across, down]
    n = len(uv)
    return SimulationInput(
        n_nodes=node.size,
        edge_u=uv[:, 0],
        edge_v=uv[:, 1],
        edge_length_m=np.full(n, 100.0),
        edge_households=np.full(n, 5.0),
        has_duct=np.zeros(n, dtype=bool),
        root_nodes=[0],
    )


def _scenario(project_length_m: float, policy: str = "fibre-only") -> object:
    return parse_scenario(
        f'[scenario]\nname = "x"\npolicy = "{policy}"\n[regrowth]\nmean_cycle_years = 5.5\n'
        f"project_length_m = {json.dumps(project_length_m)}\n"
    )


def test_projects_are_connected_pieces_of_about_the_asked_length() -> None:
    inp = _grid()
    cuts = project_partitions(inp, 1000.0, count=3, rng=np.random.default_rng(4))
    assert cuts.n_projects == 84 and cuts.member.shape == (3, inp.n_edges)
    for member in cuts.member:
        sizes = np.bincount(member, minlength=cuts.n_projects) * 100.0
        assert sizes.sum() == 84_000 and np.median(sizes[sizes > 0]) == pytest.approx(1000, rel=0.5)
        for project in np.unique(member):
            edges = np.flatnonzero(member == project)
            graph = sparse.coo_matrix(
                (np.ones(len(edges)), (inp.edge_u[edges], inp.edge_v[edges])),
                shape=(inp.n_nodes, inp.n_nodes),
            )
            nodes = np.unique(np.r_[inp.edge_u[edges], inp.edge_v[edges]])
            _, labels = csgraph.connected_components(graph, directed=False)
            assert len(np.unique(labels[nodes])) == 1, f"project {project} is not connected"
    assert not np.array_equal(cuts.member[0], cuts.member[1])
    again = project_partitions(inp, 1000.0, count=3, rng=np.random.default_rng(4))
    assert np.array_equal(again.member, cuts.member)


def _years(inp: SimulationInput, projects: object | None, runs: int = 64) -> list[np.ndarray]:
    renewal = Renewal(5.5)
    digs = draw_digs(
        inp,
        renewal,
        PlanFates(),
        list(range(2019, 2027)),
        runs,
        np.random.default_rng(8),
        co_dig_per_m=180.0,
        projects=projects,
    )
    return [year.open.copy() for year in digs]


def test_every_edge_of_a_project_is_dug_in_the_same_year() -> None:
    inp = _grid()
    cuts = project_partitions(inp, 1000.0, count=4, rng=np.random.default_rng(1)).for_runs(0, 64)
    for opened in _years(inp, cuts):
        for r in range(0, 64, 7):
            per_project = np.bincount(cuts.member[r], weights=opened[r], minlength=cuts.n_projects)
            size = np.bincount(cuts.member[r], minlength=cuts.n_projects)
            assert np.all((per_project == 0) | (per_project == size))


def test_each_edge_is_dug_as_the_renewal_says_but_futures_vary_by_project() -> None:
    inp = _grid()
    runs = 256
    clustered = simulate(inp, _scenario(1000.0), runs=runs, seed=5)
    t = np.arange(1, len(clustered.years) + 1)
    expected = Renewal(5.5).cdf_first(t)
    projects = runs * 84
    tolerance = 5 * np.sqrt(expected * (1 - expected) / projects) + 1e-3
    assert np.all(np.abs(clustered.raw.dug_share - expected) <= tolerance)
    cuts = project_partitions(inp, 1000.0, count=16, rng=np.random.default_rng(2))
    year_one = [
        o.mean(axis=1)
        for o in (_years(inp, cuts.for_runs(0, 256), 256)[0], _years(inp, None, 256)[0])
    ]
    assert year_one[0].std() > 3 * year_one[1].std()


def test_co_digging_in_projects_has_a_wider_band_than_street_by_street() -> None:
    inp = _grid()
    widths = {}
    for length in (0.0, 2000.0):
        s = simulate(inp, _scenario(length, "co-dig"), runs=300, seed=3, budget_co_dig=1e12)
        summary = s.summary()
        widths[length] = summary["p90"][2] - summary["p10"][2]
    assert widths[2000.0] > 2 * widths[0.0]


def test_the_forecast_says_how_digging_comes_and_what_the_cycle_is(tmp_path, capsys) -> None:
    ws = tmp_path / "tiny.gpkg"
    write_layers(ws, tiny_layers())
    assert main(["simulate", str(ws), "--scenario", "revised-2019", "--runs", "20"]) == 0
    text = capsys.readouterr().out
    assert "mean 5-6 years (each run its own)" in text
    assert "digging comes in projects: about 600 m of connected streets" in text
    runs = read_forecast(ws)["forecast_runs"].iloc[0]
    assert (runs["mean_cycle_low"], runs["mean_cycle_high"], runs["project_length_m"]) == (
        5.0,
        6.0,
        600.0,
    )
    about = forecast_map(ws, "revised-2019").get_root().render()
    assert "mean cycle 5–6 years, in projects of about 600 m of streets" in about
    page = build_report(ws)
    assert "every 5–6 years" in page
    assert "Digging comes in projects: a utility opens about 600 m of connected streets" in page


def test_a_junction_no_street_uses_and_an_edge_of_no_length_cut_without_fault() -> None:
    inp = SimulationInput(
        n_nodes=9,
        edge_u=np.arange(1, 7),
        edge_v=np.arange(2, 8),  # nodes 0 and 8 belong to no street
        edge_length_m=np.array([100.0, 0.0, 100.0, 100.0, 0.0, 100.0]),
        edge_households=np.ones(6),
        has_duct=np.zeros(6, dtype=bool),
        root_nodes=[1],
    )
    cuts = project_partitions(inp, 200.0, count=3, rng=np.random.default_rng(0))
    assert cuts.n_projects == 2 and (cuts.member >= 0).all()
