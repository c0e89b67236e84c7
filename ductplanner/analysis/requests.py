"""Which of a utility's digs and stretches to ask it for: data in, data out.

:func:`build_requests` takes the workspace's layers (``digs``, ``plan`` or
``opportunities``, ``streets``) and the decision log, and returns a
:class:`RequestSet`: one row per stretch to lay and one per dig, with street,
metres, window, households and DKK. Digs declined, laid or closed are not asked
(again). No files are read or written here.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..core._errors import InputError, Problem, WorkspaceError
from ..core._format import slug, text_column
from ..model.decisions import decision_row, decision_status
from ..model.layers import DEFAULT_WORKSPACE_CRS

__all__ = [
    "CLOSING_SOON_DAYS",
    "REQUEST_COLUMNS",
    "RequestSet",
    "build_requests",
    "find_dig",
    "one_scenario",
    "owner_slug",
    "proposal_rows",
    "resolve_owner",
    "stretch_figures",
]

REQUEST_COLUMNS = (
    "dig_id",
    "owner",
    "purpose",
    "purpose_text",
    "start",
    "end",
    "year",
    "street",
    "edge_id",
    "metres",
    "cost_dkk",
    "households",
    "status",
    "contact",
    "stretch_id",
    "opportunity_id",
)
"""Columns of a request's stretches (GeoPackage layer ``requests`` and CSV)."""

_CLOSED_DIGS = ("cancelled", "done")


owner_slug = slug
"""Return a file-name-safe form of an owner's name (the utility maps use the same)."""


def resolve_owner(name: str, owners: Iterable[str], *, source: str = "<memory>") -> str:
    """Return the owner called ``name`` (case and spacing ignored), or explain the choices.

    Raises
    ------
    InputError
        No such owner; lists the owners present and the nearest names.
    """
    present = sorted({str(o) for o in owners if str(o)})

    def norm(text: str) -> str:
        return " ".join(text.lower().split())

    for owner in present:
        if norm(owner) == norm(name):
            return owner
    by_norm = {norm(o): o for o in present}
    close = [by_norm[c] for c in difflib.get_close_matches(norm(name), list(by_norm), n=3)]
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    raise InputError(
        [
            Problem(
                source,
                "digs",
                "",
                "owner",
                "unknown",
                f"no dig in the digs layer belongs to {name!r}",
                f"{hint}owners present: {', '.join(present) or 'none'}",
            )
        ],
        summary="unknown owner",
    )


@dataclass
class RequestSet:
    """What to ask one utility for.

    Attributes
    ----------
    owner : str
        The utility, as named in the ``digs`` layer.
    stretches : GeoDataFrame
        One row per stretch to lay, columns :data:`REQUEST_COLUMNS`.
    digs : DataFrame
        One row per requested dig: ``dig_id``, ``purpose``, ``start``,
        ``end``, ``year``, ``streets``, ``stretches``, ``metres``,
        ``cost_dkk``, ``households``, ``status``, ``contact``,
        ``opportunity_ids``.
    source_layer : str
        ``"plan"`` or ``"opportunities"``: where the stretches came from.
    skipped : dict
        Dig id → why it is not requested (window closed, declined, laid).
    warnings : list of str
        What the sender should know: windows that closed, or close soon.
    """

    owner: str
    stretches: gpd.GeoDataFrame
    digs: pd.DataFrame
    source_layer: str
    skipped: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Return the JSON-able summary of the request."""
        return {
            "owner": self.owner,
            "source_layer": self.source_layer,
            "digs_total": len(self.digs),
            "stretches": len(self.stretches),
            "metres": round(float(self.digs["metres"].sum()), 1),
            "cost_dkk": round(float(self.digs["cost_dkk"].sum()), 0),
            "households": float(self.digs["households"].sum()),
            "digs": [
                {
                    "dig_id": str(r.dig_id),
                    "start": str(r.start),
                    "end": str(r.end),
                    "year": int(r.year),
                    "metres": round(float(r.metres), 1),
                    "cost_dkk": round(float(r.cost_dkk), 0),
                    "households": float(r.households),
                    "status": str(r.status),
                }
                for r in self.digs.itertuples(index=False)
            ],
            "skipped": dict(self.skipped),
            "warnings": list(self.warnings),
        }


def build_requests(
    layers: Mapping[str, gpd.GeoDataFrame],
    owner: str,
    *,
    decisions: pd.DataFrame | None = None,
    scenario: str | None = None,
    as_of: dt.date | None = None,
    source: str = "<memory>",
) -> RequestSet:
    """Collect what to ask one utility for.

    Parameters
    ----------
    layers : mapping of str to GeoDataFrame
        ``digs`` and ``plan`` (or, without a plan, ``opportunities``);
        ``streets`` is used for street names when present.
    owner : str
        The utility (matched ignoring case and spacing).
    decisions : DataFrame, optional
        The decision log: declined and laid digs are not asked again.
    scenario : str, optional
        The plan's scenario to use when the ``plan`` layer holds several.
    as_of : date, optional
        The day the request goes out: a dig whose window closed before it is
        not asked for (a warning says so), and one closing within
        :data:`CLOSING_SOON_DAYS` gets a warning. Default: no date check.
    source : str
        Where the layers came from, for messages.

    Returns
    -------
    RequestSet

    Raises
    ------
    InputError
        Unknown owner, or a plan with several scenarios and none chosen.
    WorkspaceError
        Neither a ``plan`` nor an ``opportunities`` layer.
    """
    digs = layers.get("digs")
    if digs is None:
        raise WorkspaceError(f"{source} has no digs layer; import the utilities' dig plans first")
    owner = resolve_owner(owner, digs["owner"], source=source)
    stretches, kind = _candidate_stretches(layers, scenario, source)
    stretches = stretches[stretches["owner"].astype(str) == owner]
    status = _current_status(decisions)
    dig_info = digs.set_index(digs["id"].astype(str))
    skipped: dict[str, str] = {}
    keep = np.ones(len(stretches), dtype=bool)
    for i, dig in enumerate(stretches["dig_id"].astype(str)):
        why = _skip_reason(dig, dig_info, status) or _window_closed(dig, dig_info, as_of)
        if why:
            skipped[dig] = why
            keep[i] = False
    stretches = stretches[keep]
    rows = _request_rows(stretches, kind, dig_info, status, layers.get("streets"))
    per_dig = _per_dig(rows)
    warnings = [
        f"{dig}: not requested, its {why}" for dig, why in skipped.items() if "window" in why
    ]
    warnings += _closing_soon(per_dig, as_of)
    return RequestSet(owner, rows, per_dig, kind, skipped, warnings)


CLOSING_SOON_DAYS = 14
"""A request for a dig whose window closes within this many days gets a warning."""


def _window_closed(dig: str, dig_info: pd.DataFrame, as_of: dt.date | None) -> str:
    if as_of is None or dig not in dig_info.index:
        return ""
    end = pd.Timestamp(dig_info.loc[dig, "end"])
    if pd.isna(end) or end.date() >= as_of:
        return ""
    return f"window closed on {end.date()}"


def _closing_soon(digs: pd.DataFrame, as_of: dt.date | None) -> list[str]:
    if as_of is None:
        return []
    out = []
    for r in digs.itertuples(index=False):
        end = pd.Timestamp(r.end)
        days = (end.date() - as_of).days if not pd.isna(end) else CLOSING_SOON_DAYS + 1
        if days <= CLOSING_SOON_DAYS:
            when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
            out.append(f"{r.dig_id}: the window closes {when} ({end.date()}); ask at once")
    return out


def _candidate_stretches(
    layers: Mapping[str, gpd.GeoDataFrame], scenario: str | None, source: str
) -> tuple[gpd.GeoDataFrame, str]:
    plan = layers.get("plan")
    if plan is not None and len(plan.columns) > 1:
        plan = one_scenario(plan, scenario, source)
        if "kind" in plan.columns:
            plan = plan[plan["kind"].astype(str) == "co-dig"]
        return plan, "plan"
    opportunities = layers.get("opportunities")
    if opportunities is not None:
        if "candidate" in opportunities.columns:  # pieces too short to duct an edge are no ask
            opportunities = opportunities[opportunities["candidate"].fillna(False).astype(bool)]
        return opportunities, "opportunities"
    raise WorkspaceError(
        f"{source} has neither a plan nor an opportunities layer, so there is nothing to request; "
        f"run `ductplanner opportunities {source}` and `ductplanner plan {source} --scenario "
        "revised-2019` first"
    )


def one_scenario(plan: gpd.GeoDataFrame, scenario: str | None, source: str) -> gpd.GeoDataFrame:
    """Return the rows of the plan of one scenario.

    Raises
    ------
    InputError
        The plan holds several scenarios and none is chosen, or not the one chosen.
    """
    if "scenario" not in plan.columns:
        return plan
    names = list(pd.unique(plan["scenario"].astype(str)))
    if scenario is None:
        if len(names) <= 1:
            return plan
        raise InputError(
            [
                Problem(
                    source,
                    "plan",
                    "",
                    "scenario",
                    "ambiguous",
                    f"the plan layer holds plans of {len(names)} scenarios: {', '.join(names)}",
                    "choose one (scenario=...)",
                )
            ],
            summary="which plan?",
        )
    chosen = [n for n in names if n == scenario or Path(n).stem == Path(scenario).stem]
    if not chosen:
        raise InputError(
            [
                Problem(
                    source,
                    "plan",
                    "",
                    "scenario",
                    "unknown",
                    f"the plan layer has no plan for scenario {scenario!r}",
                    f"scenarios planned: {', '.join(names)}",
                )
            ],
            summary="unknown scenario",
        )
    return plan[plan["scenario"].astype(str) == chosen[0]]


def _current_status(decisions: pd.DataFrame | None) -> dict[str, Any]:
    if decisions is None or not len(decisions):
        return {}
    return {r.dig_id: r for r in decision_status(decisions).itertuples(index=False)}


def _skip_reason(dig: str, dig_info: pd.DataFrame, status: Mapping[str, Any]) -> str:
    state = status.get(dig)
    if state is not None and state.status == "declined":
        return f"declined on {state.date}: {state.reason}"
    if state is not None and state.status == "laid":
        return f"laid, recorded on {state.date}"
    if dig not in dig_info.index:
        return "not in the digs layer any more"
    dig_status = str(dig_info.loc[dig, "status"])
    if dig_status in _CLOSED_DIGS and (state is None or state.status == "proposed"):
        return f"the dig is {dig_status}"
    return ""


def _request_rows(
    stretches: gpd.GeoDataFrame,
    kind: str,
    dig_info: pd.DataFrame,
    status: Mapping[str, Any],
    streets: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    n = len(stretches)
    digs = stretches["dig_id"].astype(str).to_numpy()
    info = dig_info.reindex(digs)

    def column(name: str, default: Any = "") -> np.ndarray:
        if name in stretches.columns:
            return stretches[name].to_numpy()
        return np.full(n, default, dtype=object)

    households = column("households" if kind == "plan" else "households_potential", 0.0)
    opportunity = column("opportunity_id") if kind == "plan" else column("id")
    frame = pd.DataFrame(
        {
            "dig_id": digs,
            "owner": stretches["owner"].astype(str).to_numpy(),
            "purpose": info["purpose"].astype(str).to_numpy(),
            "purpose_text": text_column(info, "purpose_text").to_numpy(),
            "start": _iso(info["start"]),
            "end": _iso(info["end"]),
            "year": pd.to_numeric(pd.Series(column("year", 0)), errors="coerce")
            .fillna(0)
            .astype(int)
            .to_numpy(),
            "street": _street_names(stretches, streets),
            "edge_id": column("edge_id").astype(str),
            "metres": pd.to_numeric(pd.Series(column("metres", 0.0))).round(1).to_numpy(),
            "cost_dkk": pd.to_numeric(pd.Series(column("cost_dkk", 0.0))).round(0).to_numpy(),
            "households": pd.to_numeric(pd.Series(households)).fillna(0).to_numpy(),
            "status": [status[d].status if d in status else "" for d in digs],
            "contact": info["contact"].fillna("").astype(str).to_numpy(),
            "stretch_id": column("id").astype(str),
            "opportunity_id": np.asarray(opportunity).astype(str),
        }
    )
    crs = stretches.crs or DEFAULT_WORKSPACE_CRS
    rows = gpd.GeoDataFrame(frame, geometry=stretches.geometry.to_numpy(), crs=crs)
    return rows.sort_values(["start", "dig_id", "edge_id"], kind="stable").reset_index(drop=True)


def _iso(values: pd.Series) -> np.ndarray:
    dates = pd.to_datetime(values, errors="coerce")
    return np.asarray(dates.dt.strftime("%Y-%m-%d").fillna(""), dtype=object)


def _street_names(stretches: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None) -> np.ndarray:
    """Name each stretch after the street nearest its midpoint."""
    if streets is None or not len(streets) or not len(stretches) or "name" not in streets:
        return np.full(len(stretches), "", dtype=object)
    mids = stretches.geometry.interpolate(0.5, normalized=True)
    points = gpd.GeoDataFrame(geometry=mids.to_numpy(), crs=stretches.crs)
    near = gpd.sjoin_nearest(points, streets[["name", "geometry"]].to_crs(stretches.crs))
    near = near[~near.index.duplicated(keep="first")]
    return near["name"].reindex(points.index).fillna("").astype(str).to_numpy()


def _per_dig(rows: gpd.GeoDataFrame) -> pd.DataFrame:
    if not len(rows):
        columns = ["dig_id", "purpose", "purpose_text", "start", "end", "year", "streets"]
        columns += ["stretches", "metres"]
        columns += ["cost_dkk", "households", "status", "contact", "opportunity_ids"]
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        for c in ("metres", "cost_dkk", "households"):
            frame[c] = frame[c].astype(float)
        return frame
    groups = rows.groupby("dig_id", sort=False)
    per_dig = groups.agg(
        purpose=("purpose", "first"),
        purpose_text=("purpose_text", "first"),
        start=("start", "first"),
        end=("end", "first"),
        year=("year", "min"),
        streets=("street", lambda s: ", ".join(dict.fromkeys(n for n in s if n))),
        stretches=("edge_id", "size"),
        metres=("metres", "sum"),
        cost_dkk=("cost_dkk", "sum"),
        households=("households", "sum"),
        status=("status", "first"),
        contact=("contact", "first"),
        opportunity_ids=("opportunity_id", ",".join),
    )
    return per_dig.reset_index()


def stretch_figures(rows: pd.DataFrame, kind: str) -> dict[str, Any]:
    """Return year, metres, cost, households and opportunity ids of plan or opportunity rows."""
    households = "households" if kind == "plan" else "households_potential"
    ids = rows["opportunity_id"] if kind == "plan" and "opportunity_id" in rows else rows["id"]
    return {
        "year": int(pd.to_numeric(rows["year"]).min()) if "year" in rows else None,
        "metres": round(float(pd.to_numeric(rows["metres"]).sum()), 1),
        "cost_dkk": round(float(pd.to_numeric(rows["cost_dkk"]).sum()), 0),
        "households": float(pd.to_numeric(rows.get(households, 0)).fillna(0).sum()),
        "opportunity_ids": ",".join(ids.astype(str)),
    }


def find_dig(digs: gpd.GeoDataFrame, dig_id: str, source: str) -> pd.Series:
    """Return the row of the ``digs`` layer with id ``dig_id``.

    Raises
    ------
    InputError
        No such dig (names the nearest ids).
    """
    hit = digs[digs["id"].astype(str) == str(dig_id)]
    if len(hit):
        return hit.iloc[0]
    ids = digs["id"].astype(str).tolist()
    close = difflib.get_close_matches(str(dig_id), ids, n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(close)}?" if close else "use an id from the digs layer"
    raise InputError(
        [
            Problem(
                source,
                "digs",
                str(dig_id),
                "id",
                "unknown",
                f"there is no dig {dig_id!r} in the digs layer ({len(ids)} digs)",
                hint,
            )
        ],
        summary="unknown dig",
    )


def proposal_rows(
    request: RequestSet, log: pd.DataFrame, date: dt.date | str | None
) -> list[dict[str, Any]]:
    """Rows logging ``proposed`` for requested digs that have no decision yet."""
    logged = set(log["dig_id"])
    return [
        decision_row(
            str(r.dig_id),
            "proposed",
            owner=request.owner,
            date=date,
            year=int(r.year),
            metres=round(float(r.metres), 1),
            cost_dkk=round(float(r.cost_dkk), 0),
            households=float(r.households),
            opportunity_ids=str(r.opportunity_ids),
        )
        for r in request.digs.itertuples(index=False)
        if str(r.dig_id) not in logged
    ]
