"""Benchmark the co-digging optimizer: greedy and first-come-first-served against the MILP.

Small instances (grid towns of 54-144 street edges, 3 years) are solved to
proven optimality by HiGHS, so the greedy's and the baseline's share of the
optimum is exact. The large one (demo-sized: ~4,500 street edges, ~1,500
candidates, 6 years, a tight budget) is too big to prove in a couple of
minutes: there the greedy is measured against the MILP's best bound. So is
the demo municipality itself (``--demo``): its planning instance as
``ductplanner plan`` builds it for each shipped scenario that lays ducts.

    python benchmarks/bench_optimize.py               # full run (several minutes)
    python benchmarks/bench_optimize.py --quick       # 6 small seeds, 30 s on the large one
    python benchmarks/bench_optimize.py --demo-only   # only the demo municipality

Times are wall-clock seconds on a shared machine; the ratio of medians is
the fairer speed figure.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from dataclasses import dataclass

from ductplanner.optimize import CoDigMILP, PlanningInstance, plan, random_instance


@dataclass
class Row:
    name: str
    edges: int
    candidates: int
    greedy: float
    fcfs: float
    milp: float
    bound: float
    status: str
    t_greedy: float
    t_fcfs: float
    t_milp: float


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def _number(value: float | None) -> float:
    """A MILP stopped by its time limit before any bound has none: NaN in the table."""
    return float("nan") if value is None else float(value)


def run_instance(name: str, inst: PlanningInstance, time_limit: float, mip_gap: float) -> Row:
    g, t_g = _timed(plan, inst, method="greedy")
    f, t_f = _timed(plan, inst, method="fcfs")
    m, t_m = _timed(CoDigMILP(inst).solve, time_limit=time_limit, mip_gap=mip_gap)
    return Row(
        name,
        inst.n_edges,
        inst.n_candidates,
        g.objective,
        f.objective,
        _number(m.objective),
        _number(m.bound),
        m.status,
        t_g,
        t_f,
        t_m,
    )


def small_set(seeds: int, own_dig: bool, time_limit: float) -> list[Row]:
    rows = []
    for seed in range(seeds):
        size = 6 + seed % 4
        inst = random_instance(seed, rows=size, cols=size, years=3, own_dig=own_dig)
        row = run_instance(f"seed {seed} {size}x{size}", inst, time_limit, mip_gap=1e-4)
        rows.append(row)
        print(
            f"  {row.name:14s} {row.edges:4d} edges {row.candidates:4d} cands | "
            f"greedy {row.greedy / row.milp:7.2%} fcfs {row.fcfs / row.milp:7.2%} | "
            f"milp {row.status:10s} | greedy {row.t_greedy * 1000:6.0f} ms  "
            f"milp {row.t_milp:6.2f} s",
            flush=True,
        )
    return rows


def report_small(label: str, rows: list[Row]) -> None:
    optimal = [r for r in rows if r.status == "optimal"]
    g = [r.greedy / r.milp for r in optimal]
    f = [r.fcfs / r.milp for r in optimal]
    tg = [r.t_greedy for r in rows]
    tm = [r.t_milp for r in rows]
    print(f"{label}: {len(optimal)} of {len(rows)} proven optimal")
    print(f"  greedy / optimum: mean {statistics.mean(g):.2%}, worst {min(g):.2%}")
    print(f"  fcfs   / optimum: mean {statistics.mean(f):.2%}, worst {min(f):.2%}")
    print(
        f"  time: greedy mean {statistics.mean(tg) * 1000:.0f} ms (median "
        f"{statistics.median(tg) * 1000:.0f}), milp mean {statistics.mean(tm):.2f} s (median "
        f"{statistics.median(tm):.2f}); milp/greedy: "
        f"{statistics.mean(tm) / statistics.mean(tg):.0f}x "
        f"(means), {statistics.median(tm) / statistics.median(tg):.0f}x (medians)"
    )


def large(time_limit: float) -> None:
    inst = random_instance(
        2019,
        rows=50,
        cols=50,
        years=6,
        n_digs=330,
        dig_edges=(2, 8),
        n_roots=8,
        existing_share=0.08,
        budget_share=0.2,
    )
    print(f"large: {inst.describe()}")
    row = run_instance("large", inst, time_limit, mip_gap=0.0)
    print(f"  greedy  {row.greedy:9.1f} in {row.t_greedy:6.2f} s")
    print(
        f"  fcfs    {row.fcfs:9.1f} in {row.t_fcfs:6.2f} s ({row.fcfs / row.greedy:.1%} of greedy)"
    )
    print(
        f"  milp    {row.milp:9.1f} in {row.t_milp:6.2f} s, status {row.status}, "
        f"bound {row.bound:.1f}, gap {(row.bound - row.milp) / row.bound:.3%}"
    )
    print(
        f"  greedy {row.greedy / row.milp:.2%} of the MILP's best plan, gap to its bound "
        f"{(row.bound - row.greedy) / row.bound:.3%}; "
        f"milp/greedy time {row.t_milp / row.t_greedy:.0f}x"
    )


def demo(time_limit: float) -> None:
    from ductplanner.app.demo import generate_demo
    from ductplanner.model.scenarios import load_scenario
    from ductplanner.optimize import planning_instance

    layers = generate_demo(seed=2019)
    for name in ("revised-2019", "original-2016"):
        inst, _ = planning_instance(layers, load_scenario(name))
        print(f"demo, {name}: {inst.describe()}")
        row = run_instance(f"demo {name}", inst, time_limit, mip_gap=0.0)
        print(
            f"  greedy {row.greedy:9.1f} in {row.t_greedy:6.2f} s | fcfs {row.fcfs:9.1f} "
            f"({row.fcfs / row.greedy:.1%} of greedy) | milp {row.milp:9.1f} in "
            f"{row.t_milp:6.2f} s, {row.status}, bound {row.bound:.1f}"
        )
        print(
            f"  greedy {row.greedy / row.milp:.2%} of the MILP's best plan, gap to its bound "
            f"{(row.bound - row.greedy) / row.bound:.3%}; milp/greedy time "
            f"{row.t_milp / row.t_greedy:.0f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds, shorter MILP")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--time-limit", type=float, default=120.0, help="MILP, large instance")
    parser.add_argument("--demo-only", action="store_true", help="only the demo municipality")
    args = parser.parse_args()
    seeds = 6 if args.quick else args.seeds
    limit = 30.0 if args.quick else args.time_limit
    if args.demo_only:
        demo(limit)
        return
    print("co-dig, small grid towns, 3 years:")
    report_small("co-dig", small_set(seeds, own_dig=False, time_limit=120.0))
    print("own-dig allowed (the 2016 policy), small grid towns, 3 years:")
    report_small("own-dig", small_set(max(4, seeds // 3), own_dig=True, time_limit=120.0))
    large(limit)
    demo(limit)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
