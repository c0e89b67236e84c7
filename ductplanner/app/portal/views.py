"""The portal's pages: each role sees what it may, and answers go to the decision log.

A utility account sees only the digs of its own ``owner`` and the requests
about them, and may answer only those: a dig of another owner is "not found",
whatever id a form or URL carries. The project manager sees and answers all.
Every answer is written by :func:`ductplanner.app.workflows.coordination.log_decision`,
the same call as ``ductplanner decide``: same rules, same lock, same log.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any

import pandas as pd
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
)
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from ...core._errors import DuctPlannerError, InputError, Problem
from ...io.workspace import list_layers, read_layer, read_table
from ...model.decisions import decision_status
from ..workflows.coordination import log_decision, read_decisions, record_dig, requests_command
from ..workflows.layers import import_file
from ..workflows.maps import map_html, workspace_map
from .models import Membership

__all__ = [
    "answer",
    "committee_page",
    "decision_log",
    "home",
    "map_page",
    "report_done",
    "requests_page",
    "send_requests",
    "upload",
]

UPLOAD_SUFFIXES = (".gpkg", ".zip", ".geojson", ".json", ".csv")
"""What a dig plan may be sent as: GeoPackage, zipped Shapefile, GeoJSON, CSV."""
UPLOAD_MAX_BYTES = 20 * 1024 * 1024
"""The largest dig plan accepted (a season of one utility is a few hundred kB)."""
UPLOAD_MAX_FEATURES = 5_000
"""The most digs one upload may hold."""

ANSWERS = ("agreed", "declined", "countered")
"""What a utility may answer to a request: agree, decline, or propose another window."""
MANAGER_ANSWERS = (*ANSWERS, "proposed")
"""The manager may also ask again (accepting a window the utility proposed)."""

STATUS_WORDS: dict[str, Callable[[], str]] = {
    "proposed": lambda: _("requested"),
    "agreed": lambda: _("agreed"),
    "declined": lambda: _("declined"),
    "countered": lambda: _("another window proposed"),
    "laid": lambda: _("laid"),
}
"""A status as the page says it, in the page's language."""

REASON_MAX = 500
"""Characters of a reason kept (a form is not a place for essays)."""

View = Callable[..., HttpResponse]


def _workspace() -> str:
    return str(settings.DUCTPLANNER_WORKSPACE)


def _membership(request: HttpRequest) -> Membership | None:
    try:
        return Membership.objects.get(user=request.user)
    except Membership.DoesNotExist:
        return None


def role_required(*roles: str) -> Callable[[View], View]:
    """Let in logged-in accounts of ``roles`` only (others get 403, anonymous the login)."""

    def decorate(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            membership = _membership(request)
            if membership is None or membership.role not in roles:
                raise PermissionDenied("this account may not see this page")
            request.membership = membership
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Show the front page: an account goes on to its own page, others learn how to log in."""
    membership = _membership(request) if request.user.is_authenticated else None
    if membership is not None and membership.role in ("utility", "manager"):
        return redirect("requests")
    if membership is not None and membership.role == "committee":
        return redirect("committee")
    return render(request, "portal/home.html", {"membership": membership})


def _visible_digs(membership: Membership) -> pd.DataFrame:
    digs = read_layer(_workspace(), "digs", required=False)
    frame = pd.DataFrame(digs.drop(columns=digs.geometry.name))
    if membership.role == "utility":
        frame = frame[frame["owner"].astype(str) == membership.owner]
    return frame


def _requests_of(digs: pd.DataFrame) -> list[dict[str, Any]]:
    status = decision_status(read_decisions(_workspace()))
    status = status[status["dig_id"].isin(set(digs["id"].astype(str)))]
    by_id = digs.set_index(digs["id"].astype(str))
    rows = []
    for entry in status.to_dict(orient="records"):
        dig = by_id.loc[entry["dig_id"]]
        rows.append(
            {
                **entry,
                "purpose": dig.get("purpose", ""),
                "start": _day(dig.get("start")),
                "end": _day(dig.get("end")),
                "status_word": _status_word(entry["status"]),
                "answerable": entry["status"] in ("proposed", "countered"),
                "reportable": entry["status"] == "agreed",
            }
        )
    return rows


def _status_word(status: str) -> str:
    word = STATUS_WORDS.get(status)
    return word() if word else status


def _day(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NaT:
        return ""
    return str(value)[:10]


@require_GET
@role_required("utility", "manager")
def requests_page(request: HttpRequest) -> HttpResponse:
    """Show a utility's digs and the requests to join them (every one, to the manager)."""
    membership: Membership = request.membership
    digs = _visible_digs(membership)
    context = {
        "membership": membership,
        "plan": _plan_by_year() if membership.role == "manager" else [],
        "requests": _requests_of(digs),
        "conflicts": _conflicts_of(membership),
        "owners": sorted(set(digs["owner"].astype(str))) if membership.role == "manager" else [],
        "suffixes": ", ".join(UPLOAD_SUFFIXES),
        "digs": [
            {**row, "start": _day(row.get("start")), "end": _day(row.get("end"))}
            for row in digs.to_dict(orient="records")
        ],
    }
    return render(request, "portal/requests.html", context)


def _plan_by_year() -> list[dict[str, Any]]:
    """Return the plan's stretches, metres, cost and households per year (empty: no plan)."""
    ws = _workspace()
    if "plan" not in list_layers(ws):
        return []
    layer = read_layer(ws, "plan")
    plan = pd.DataFrame(layer.drop(columns=layer.geometry.name))
    per_year = plan.groupby("year", sort=True).agg(
        stretches=("edge_id", "size"),
        metres=("metres", "sum"),
        cost_dkk=("cost_dkk", "sum"),
        households=("households", "sum"),
        owners=("owner", lambda owners: ", ".join(sorted(set(map(str, owners))))),
    )
    return list(per_year.reset_index().to_dict("records"))


def _conflicts_of(membership: Membership) -> list[dict[str, Any]]:
    """Return the stretches two parties dig within the protection period (theirs, for a utility)."""
    ws = _workspace()
    if "conflicts" not in list_layers(ws):
        return []
    layer = read_layer(ws, "conflicts")
    frame = pd.DataFrame(layer.drop(columns=layer.geometry.name))
    if membership.role == "utility":
        mine = (frame["owner_a"] == membership.owner) | (frame["owner_b"] == membership.owner)
        frame = frame[mine]
    columns = ["dig_a", "owner_a", "start_a", "dig_b", "owner_b", "start_b", "metres"]
    rows = frame.reindex(columns=columns).to_dict(orient="records")
    return [{**r, "start_a": _day(r["start_a"]), "start_b": _day(r["start_b"])} for r in rows]


@require_POST
@role_required("utility", "manager")
def upload(request: HttpRequest) -> HttpResponse:
    """Add the digs of an uploaded plan, or list every problem with it and store nothing."""
    membership: Membership = request.membership
    refused = _unacceptable(request)
    if refused is not None:
        return refused
    sent = request.FILES["file"]
    name = Path(str(sent.name)).name[:120]  # shown as text; never used as a path
    owner = membership.owner if membership.role == "utility" else None
    with tempfile.TemporaryDirectory(prefix="ductplanner-upload-") as folder:
        path = _saved(sent, Path(folder))
        try:
            done = import_file(
                _workspace(),
                "digs",
                path,
                append=True,
                owner=owner,
                max_features=UPLOAD_MAX_FEATURES,
                label=f"{name} (uploaded by {request.user.get_username()})",
            )
        except InputError as exc:
            return _refused(request, name, [p for p in exc.problems if p.severity == "error"])
        except DuctPlannerError as exc:
            return _refused(request, name, [_upload_problem(name, str(exc))])
    added = int(done.summary["features_imported"])
    words = ngettext("%(name)s: %(n)d dig added", "%(name)s: %(n)d digs added", added)
    messages.success(request, words % {"name": name, "n": added})
    return redirect("requests")


def _unacceptable(request: HttpRequest) -> HttpResponse | None:
    """Return the page refusing an upload too large, absent or of another kind; else None."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > UPLOAD_MAX_BYTES + 64 * 1024:
        too_large = _upload_problem("", _("the file is larger than 20 MB"))
        return _refused(request, "", [too_large], 413)
    sent = request.FILES.get("file")
    if sent is None:
        return _refused(request, "", [_upload_problem("", _("no file was sent"))])
    name = Path(str(sent.name)).name[:120]
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        why = _("a file is sent as %(kinds)s, not %(suffix)s") % {
            "kinds": ", ".join(UPLOAD_SUFFIXES),
            "suffix": suffix or _("no suffix"),
        }
        return _refused(request, name, [_upload_problem(name, why)])
    if sent.size > UPLOAD_MAX_BYTES:
        too_large = _upload_problem(name, _("the file is larger than 20 MB"))
        return _refused(request, name, [too_large], 413)
    return None


def _saved(sent: Any, folder: Path) -> Path:
    """Write an upload into ``folder`` under a name of ours (only its suffix is the sender's)."""
    path = folder / f"upload{Path(str(sent.name)).suffix.lower()}"
    with path.open("wb") as fh:
        for chunk in sent.chunks():
            fh.write(chunk)
    return path


@require_POST
@role_required("utility", "manager")
def report_done(request: HttpRequest) -> HttpResponse:
    """Record a finished dig the municipality joined, with the ducts as the contractor laid them."""
    dig_id = request.POST.get("dig", "")
    if dig_id not in set(_visible_digs(request.membership)["id"].astype(str)):
        raise Http404("no such dig among yours")
    refused = _unacceptable(request)
    if refused is not None:
        return refused
    sent = request.FILES["file"]
    name = Path(str(sent.name)).name[:120]
    with tempfile.TemporaryDirectory(prefix="ductplanner-as-built-") as folder:
        path = _saved(sent, Path(folder))
        try:
            outcome = record_dig(_workspace(), dig_id, as_built=path, refresh_coverage=False)
        except InputError as exc:
            problems = [replace(p, source=name) for p in exc.problems if p.severity == "error"]
            return _refused(request, name, problems or [_upload_problem(name, str(exc))])
        except DuctPlannerError as exc:
            return _refused(request, name, [_upload_problem(name, str(exc))])
    done = _("%(dig)s: recorded as done, %(metres)s m of duct laid")
    messages.success(request, done % {"dig": dig_id, "metres": f"{outcome.metres:,.0f}"})
    return redirect("requests")


def _upload_problem(name: str, message: str) -> Problem:
    return Problem(name, "digs", "", "", "upload", message)


def _refused(
    request: HttpRequest, name: str, problems: list[Problem], status: int = 400
) -> HttpResponse:
    context = {"name": name, "problems": problems, "membership": request.membership}
    return render(request, "portal/upload.html", context, status=status)


@require_POST
@role_required("utility", "manager")
def answer(request: HttpRequest) -> HttpResponse:
    """Log an answer to a request: agree, decline with a reason, or propose another window.

    The manager may also ask again (``proposed``), accepting the utility's window.
    """
    membership: Membership = request.membership
    dig_id = request.POST.get("dig", "")
    status = request.POST.get("answer", "")
    allowed = MANAGER_ANSWERS if membership.role == "manager" else ANSWERS
    if status not in allowed:
        return HttpResponseBadRequest(f"answer must be one of {', '.join(allowed)}")
    digs = _visible_digs(membership)
    if dig_id not in set(digs["id"].astype(str)):
        raise Http404("no such dig among yours")  # another owner's dig: not found, not forbidden
    reason = request.POST.get("reason", "").strip()[:REASON_MAX]
    window = None
    if status == "countered":
        window = (
            request.POST.get("window_start", "")[:10],
            request.POST.get("window_end", "")[:10],
        )
    try:
        log_decision(_workspace(), dig_id, status, reason=reason, window=window)
    except InputError as exc:
        for problem in exc.problems or []:
            messages.error(request, f"{dig_id}: {problem.message} {problem.hint}".strip())
        if not exc.problems:
            messages.error(request, f"{dig_id}: {exc}")
    except DuctPlannerError as exc:
        messages.error(request, f"{dig_id}: {exc}")
    else:
        messages.success(request, f"{dig_id}: {_status_word(status)}")
    return redirect("requests")


@require_POST
@role_required("manager")
def send_requests(request: HttpRequest) -> HttpResponse:
    """Send a utility the plan's requests: logged ``proposed``, shown on its page at once."""
    owner = request.POST.get("owner", "")
    digs = _visible_digs(request.membership)
    if owner not in set(digs["owner"].astype(str)):
        return HttpResponseBadRequest("no utility of that name digs in the workspace")
    try:
        done = requests_command(_workspace(), owner)
    except DuctPlannerError as exc:
        messages.error(request, f"{owner}: {exc}")
    else:
        asked = done.summary.get("proposed") or []
        if asked:
            words = ngettext(
                "%(owner)s: %(n)d request sent (%(digs)s)",
                "%(owner)s: %(n)d requests sent (%(digs)s)",
                len(asked),
            )
            sent = {"owner": owner, "n": len(asked), "digs": ", ".join(asked)}
            messages.success(request, words % sent)
        else:
            messages.info(request, done.text.splitlines()[0])
    return redirect("requests")


@require_GET
@role_required("committee", "manager")
def committee_page(request: HttpRequest) -> HttpResponse:
    """Show coverage today per district and the forecast bands, as the workspace holds them."""
    ws = _workspace()
    present = set(list_layers(ws))
    districts: list[dict[str, Any]] = []
    if "district_coverage" in present:
        layer = read_layer(ws, "district_coverage")
        for row in pd.DataFrame(layer.drop(columns=layer.geometry.name)).to_dict("records"):
            total = row["households_total"] or 0
            share = 100 * row["households_duct_covered"] / total if total else 0.0
            districts.append({**row, "share": share})
    bands: list[dict[str, Any]] = []
    if "forecast" in present:
        forecast = read_table(ws, "forecast")
        whole = forecast[forecast["district"].astype(str) == ""]
        for row in whole.sort_values(["scenario", "year"]).to_dict("records"):
            total = float(row["households_total"]) or 1.0
            bands.append({**row, **{k: 100 * float(row[k]) / total for k in ("p10", "p50", "p90")}})
    context = {"membership": request.membership, "districts": districts, "bands": bands}
    return render(request, "portal/committee.html", context)


@require_GET
@role_required("manager")
def decision_log(request: HttpRequest) -> HttpResponse:
    """Show the whole decision log, newest last: what the CLI and the portal logged."""
    log = read_decisions(_workspace())
    columns = ["dig_id", "owner", "status", "reason", "date", "year", "metres"]
    rows = log.reindex(columns=columns).to_dict(orient="records")
    return render(request, "portal/log.html", {"rows": rows, "columns": columns})


@require_GET
@xframe_options_sameorigin  # shown in a frame of the portal's own pages, never elsewhere
@role_required("utility", "manager", "committee")
def map_page(request: HttpRequest) -> HttpResponse:
    """Draw the workspace's map for the account: a utility's own digs, conflicts and requests.

    The map is the same as ``ductplanner map`` draws for the audience, with
    its scripts and styles inline (no CDN), drawn from the workspace as it is now.
    """
    membership: Membership = request.membership
    ws = _workspace()
    try:
        if membership.role == "utility":
            m = workspace_map(ws, audience="utility", owner=membership.owner, self_contained=True)
        else:
            m = workspace_map(ws, audience=membership.role, self_contained=True)
    except DuctPlannerError as exc:
        return HttpResponse(str(exc), content_type="text/plain; charset=utf-8", status=503)
    return HttpResponse(map_html(m))
