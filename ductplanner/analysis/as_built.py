"""What recording finished digs does to the layers: the ducts laid, the digs done, the log.

:func:`record_layers` turns the ``plan`` rows of finished digs into ``ducts``
features, marks the digs ``done`` and logs ``laid`` rows: layers in, layers out.
The workflow (:func:`ductplanner.app.workflows.coordination.record_dig`) reads
and writes the workspace around it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from ..core._errors import InputError, Problem, WorkspaceError
from ..model.decisions import decision_row, next_decisions
from ..model.layers import WORKSPACE_CRS, require_valid, validate_layer
from .requests import find_dig, one_scenario, stretch_figures

__all__ = ["RecordOutcome", "record_layers"]

_MUNICIPALITY = "municipality"


@dataclass
class RecordOutcome:
    """What recording one dig did.

    Attributes
    ----------
    dig_id : str
    recorded : bool
        False when the dig had been recorded before (nothing written).
    ducts : GeoDataFrame
        The duct features of this dig (new, or found from before).
    year : int
        Year laid.
    metres, cost_dkk, households : float
    households_before, households_after : int or None
        Households duct-covered before and after (None when not computed).
    """

    dig_id: str
    recorded: bool
    ducts: gpd.GeoDataFrame
    year: int
    metres: float
    cost_dkk: float
    households: float
    households_before: int | None = None
    households_after: int | None = None

    def summary(self) -> dict[str, Any]:
        """Return the JSON-able summary."""
        return {
            "dig_id": self.dig_id,
            "recorded": self.recorded,
            "already_recorded": not self.recorded,
            "ducts": self.ducts["id"].astype(str).tolist(),
            "year_laid": self.year,
            "metres": round(self.metres, 1),
            "cost_dkk": round(self.cost_dkk, 0),
            "households": self.households,
            "households_duct_covered_before": self.households_before,
            "households_duct_covered_after": self.households_after,
        }


def _laid_ducts(
    dig_id: str, rows: gpd.GeoDataFrame, year: int, laid_on: str, taken: set[str]
) -> gpd.GeoDataFrame:
    """Duct features (not yet validated) for the plan rows of one finished dig."""
    ids = []
    for edge in rows["edge_id"].astype(str):
        new = base = f"{dig_id}/{edge}"
        k = 1
        while new in taken:
            k += 1
            new = f"{base}-{k}"
        taken.add(new)
        ids.append(new)
    frame = pd.DataFrame(
        {
            "id": ids,
            "year_laid": year,
            "status": "existing",
            "origin": "co-dig",
            "owner": _MUNICIPALITY,
            "tubes": 1,
            "dig_id": dig_id,
            "laid_on": laid_on,
            "plan_id": rows["id"].astype(str).to_numpy() if "id" in rows else "",
        }
    )
    crs = rows.crs or WORKSPACE_CRS
    return gpd.GeoDataFrame(frame, geometry=rows.geometry.to_numpy(), crs=crs)


def _plan_rows_of(
    layers: Mapping[str, gpd.GeoDataFrame], dig_id: str, scenario: str | None, source: str
) -> gpd.GeoDataFrame:
    plan = layers.get("plan")
    if plan is None:
        raise WorkspaceError(
            f"{source} has no plan layer, so it is not known which stretches of dig {dig_id} "
            f"were laid; run `ductplanner plan {source} --scenario SCENARIO` first"
        )
    plan = one_scenario(plan, scenario, source)
    rows = plan[plan["dig_id"].astype(str) == str(dig_id)]
    if not len(rows):
        raise InputError(
            [
                Problem(
                    source,
                    "plan",
                    str(dig_id),
                    "dig_id",
                    "not-planned",
                    f"the plan chose no stretch in dig {dig_id}, so there is nothing to record",
                    "if ducts were laid there after all, re-run `ductplanner plan` so the plan "
                    "holds the dig, or import the as-built lines with `ductplanner import "
                    f"{source} ducts FILE --append`",
                )
            ],
            summary="nothing to record",
        )
    return rows


def record_layers(
    layers: Mapping[str, gpd.GeoDataFrame],
    log: pd.DataFrame,
    digs_laid: Sequence[tuple[str, int | None, dt.date | str | None]],
    *,
    scenario: str | None,
    source: str,
) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame, list[RecordOutcome]]:
    """Return the new ducts and digs layers and log after recording finished digs (pure).

    ``digs_laid`` holds (dig id, year laid or None, date of the log entry or
    None) per dig. Digs recorded before are reported, not recorded again.
    """
    digs, ducts = layers["digs"], layers.get("ducts")
    taken = set() if ducts is None else set(ducts["id"].astype(str))
    outcomes: list[RecordOutcome] = []
    new_parts: list[gpd.GeoDataFrame] = []
    rows_logged: list[dict[str, Any]] = []
    for dig_id, year, date in digs_laid:
        dig = find_dig(digs, dig_id, source)
        dig_id = str(dig["id"])
        if any(o.dig_id == dig_id for o in outcomes):
            continue  # named twice
        before = _already_recorded(ducts, log, dig_id)
        if before is not None:
            outcomes.append(before)
            continue
        rows = _plan_rows_of(layers, dig_id, scenario, source)
        year = _year_laid(dig, year, source)
        end = pd.Timestamp(dig["end"])
        laid_on = end.date().isoformat() if year == end.year else f"{year}-12-31"
        new_parts.append(_laid_ducts(dig_id, rows, year, laid_on, taken))
        figures = stretch_figures(rows, "plan")
        rows_logged.append(
            decision_row(
                dig_id,
                "laid",
                owner=str(dig["owner"]),
                date=date or dt.date.today(),
                reason=f"recorded: {len(rows)} stretches laid in {year}",
                **figures,
            )
        )
        outcomes.append(
            RecordOutcome(
                dig_id,
                True,
                new_parts[-1],
                year,
                float(figures["metres"]),
                float(figures["cost_dkk"]),
                float(figures["households"]),
            )
        )
    if not new_parts:
        return {}, log, outcomes
    log = next_decisions(log, rows_logged, source=source)
    new = gpd.GeoDataFrame(pd.concat(new_parts, ignore_index=True), crs=new_parts[0].crs)
    new, problems = validate_layer(new, "ducts", source=source)
    require_valid(problems)
    all_ducts = new if ducts is None or not len(ducts) else _concat(ducts, new)
    recorded = {o.dig_id for o in outcomes if o.recorded}
    digs = digs.copy()
    digs.loc[digs["id"].astype(str).isin(recorded).to_numpy(), "status"] = "done"
    for outcome in outcomes:
        if outcome.recorded:
            outcome.ducts = new[new["dig_id"] == outcome.dig_id]
    return {"ducts": all_ducts, "digs": digs}, log, outcomes


def _year_laid(dig: pd.Series, year: int | None, source: str) -> int:
    start, end = pd.Timestamp(dig["start"]), pd.Timestamp(dig["end"])
    year = int(end.year) if year is None else int(year)
    if year < start.year:
        raise InputError(
            [
                Problem(
                    source,
                    "ducts",
                    str(dig["id"]),
                    "year_laid",
                    "range",
                    f"year {year} is before dig {dig['id']} started ({start.date()})",
                    f"give the year the trench was open, {start.year} or later",
                )
            ],
            summary="impossible year",
        )
    return year


def _concat(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    new = new.to_crs(old.crs) if old.crs is not None and new.crs != old.crs else new
    frame = pd.concat([old, new], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry=old.geometry.name, crs=old.crs)


def _already_recorded(
    ducts: gpd.GeoDataFrame | None, log: pd.DataFrame, dig_id: str
) -> RecordOutcome | None:
    """Return the outcome of an earlier recording of the dig (None if never recorded)."""
    mine = None
    if ducts is not None and "dig_id" in ducts.columns:
        mine = ducts[ducts["dig_id"].astype(str) == dig_id]
    laid = log[(log["dig_id"] == dig_id) & (log["status"] == "laid")]
    if (mine is None or not len(mine)) and not len(laid):
        return None
    if mine is None:
        mine = gpd.GeoDataFrame({"id": pd.Series(dtype=object)}, geometry=[], crs=WORKSPACE_CRS)
    last = laid.iloc[-1] if len(laid) else pd.Series(dtype=object)
    year = int(mine["year_laid"].max()) if len(mine) else int(last.get("year") or 0)
    return RecordOutcome(
        dig_id,
        False,
        mine,
        year,
        float(last.get("metres", mine.geometry.length.sum())),
        float(last.get("cost_dkk", float("nan"))),
        float(last.get("households", float("nan"))),
    )


