"""Benchmark the co-digging optimizer: the default plan and greedy against the proven optimum.

Provable instances (grid towns and long streets of 50-150 street edges, 3-5
years, co-dig and own-dig budgets, tight and loose money, and towns where
covering early counts as much as the horizon) are solved to proven
optimality by HiGHS (gap 1e-6, up to 300 s); each is then planned, in turn,
by the default method (``plan(instance)``: greedy, then the MILP from it,
with a 30 s limit), by greedy alone and by first come, first served. The
demo municipality's two planning instances (co-digging only, and own
trenches allowed) are planned by the default method with a 120 s limit: its
proven gap and time are what a user gets.

    python benchmarks/bench_optimize.py               # everything (about 15 minutes)
    python benchmarks/bench_optimize.py --quick       # fewer towns, no own-dig demo
    python benchmarks/bench_optimize.py --demo-only   # only the demo municipality

Goals (issue 17): the default plan >= 99.5 % of the optimum on every provable
instance in at most 30 s; greedy >= 98 %; the demo's co-dig instance proven
within 0.5 % and its own-dig one within 1 % in at most 120 s.

Times are wall-clock seconds on a shared machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from dataclasses import dataclass

from ductplanner.optimize import CoDigMILP, PlanningInstance, plan, random_instance

PROOF_LIMIT_S = 300.0
DEFAULT_LIMIT_S = 30.0
DEMO_LIMIT_S = 120.0


@dataclass
class Case:
    group: str
    name: str
    instance: PlanningInstance
    early_weight: float | None = None


@dataclass
class Row:
    case: Case
    optimum: float
    default: float
    greedy: float
    fcfs: float
    t_default: float
    t_greedy: float
    t_proof: float


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def provable_cases(quick: bool) -> list[Case]:
    """Instances of several shapes and sizes whose optimum HiGHS proves."""
    seeds = range(6 if quick else 12)
    cases = []
    for seed in seeds:
        size, years = 6 + seed % 4, 3 + seed % 3
        grid = random_instance(seed, rows=size, cols=size, years=years)
        cases.append(Case("co-dig grid", f"seed {seed} {size}x{size} {years}y", grid))
        early = f"seed {seed} {size}x{size} {years}y w=1"
        cases.append(Case("early coverage", early, grid, early_weight=1.0))
    for seed in seeds[: len(seeds) // 2]:
        street = random_instance(100 + seed, rows=3, cols=14 + seed, years=4, dig_edges=(2, 8))
        cases.append(Case("long streets", f"seed {100 + seed} 3x{14 + seed} 4y", street))
        tight = random_instance(200 + seed, rows=8, cols=8, years=4, budget_share=0.15)
        cases.append(Case("tight budget", f"seed {200 + seed} 8x8 4y 15 %", tight))
        own = random_instance(300 + seed, rows=6, cols=6, years=3, own_dig=True)
        cases.append(Case("own-dig", f"seed {300 + seed} 6x6 3y", own))
    return cases


def run_case(case: Case) -> Row | None:
    inst, w = case.instance, case.early_weight
    proof, t_proof = _timed(
        CoDigMILP(inst, early_weight=w).solve, time_limit=PROOF_LIMIT_S, mip_gap=1e-6
    )
    if proof.status != "optimal" or not proof.objective:
        print(f"  {case.name:28s} not proven in {PROOF_LIMIT_S:.0f} s: left out", flush=True)
        return None
    # interleaved: the default plan, then greedy, then the baseline, on the same instance
    default, t_default = _timed(plan, inst, early_weight=w, time_limit=DEFAULT_LIMIT_S)
    greedy, t_greedy = _timed(plan, inst, method="greedy", early_weight=w)
    fcfs = plan(inst, method="fcfs", early_weight=w)
    row = Row(
        case,
        float(proof.objective),
        default.objective,
        greedy.objective,
        fcfs.objective,
        t_default,
        t_greedy,
        t_proof,
    )
    print(
        f"  {case.name:28s} {inst.n_edges:4d} edges {inst.n_candidates:4d} cands | "
        f"default {row.default / row.optimum:7.2%} in {t_default:5.2f} s | "
        f"greedy {row.greedy / row.optimum:7.2%} in {t_greedy * 1000:5.0f} ms | "
        f"fcfs {row.fcfs / row.optimum:7.2%} | proof {t_proof:5.1f} s",
        flush=True,
    )
    return row


def _share(rows: list[Row], attr: str) -> tuple[float, float]:
    shares = [getattr(r, attr) / r.optimum for r in rows]
    return statistics.mean(shares), min(shares)


def report(label: str, rows: list[Row]) -> None:
    if not rows:
        return
    d_mean, d_worst = _share(rows, "default")
    g_mean, g_worst = _share(rows, "greedy")
    f_mean, f_worst = _share(rows, "fcfs")
    print(
        f"{label:16s} {len(rows):3d} | default {d_mean:7.2%} (worst {d_worst:7.2%}), "
        f"max {max(r.t_default for r in rows):5.1f} s | greedy {g_mean:7.2%} "
        f"(worst {g_worst:7.2%}), mean {statistics.mean(r.t_greedy for r in rows) * 1000:4.0f}"
        f" ms | fcfs {f_mean:7.2%} (worst {f_worst:7.2%})"
    )


def demo(own_dig: bool) -> None:
    from ductplanner.app.demo import generate_demo
    from ductplanner.model.scenarios import load_scenario
    from ductplanner.optimize import planning_instance

    layers = generate_demo(seed=2019)
    names = ("revised-2019", "original-2016") if own_dig else ("revised-2019",)
    for name in names:
        inst, _ = planning_instance(layers, load_scenario(name))
        print(f"demo, {name}: {inst.describe()}")
        greedy, t_greedy = _timed(plan, inst, method="greedy")
        best, t_best = _timed(plan, inst, time_limit=DEMO_LIMIT_S)
        gap = float("nan") if best.optimality_gap is None else best.optimality_gap
        print(
            f"  default plan: {best.objective:9.1f} in {t_best:6.1f} s, {best.status}, "
            f"proven gap {gap:.3%} (bound {best.bound:.1f}) | greedy {greedy.objective:9.1f} "
            f"in {t_greedy:5.1f} s, {(best.bound - greedy.objective) / best.bound:.3%} below the "
            "bound"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer towns, no own-dig demo")
    parser.add_argument("--demo-only", action="store_true", help="only the demo municipality")
    args = parser.parse_args()
    if not args.demo_only:
        rows = []
        for case in provable_cases(args.quick):
            row = run_case(case)
            if row is not None:
                rows.append(row)
        print("share of the proven optimum (mean, worst) and time:")
        for group in dict.fromkeys(r.case.group for r in rows):
            report(group, [r for r in rows if r.case.group == group])
        report("all", rows)
    demo(own_dig=not args.quick)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MB")


if __name__ == "__main__":
    main()
