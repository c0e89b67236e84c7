"""The portal's pages: each role sees what it may, and answers go to the decision log.

A utility account sees only the digs of its own ``owner`` and the requests
about them, and may answer only those: a dig of another owner is "not found",
whatever id a form or URL carries. The project manager sees and answers all.
Every answer is written by :func:`ductplanner.app.workflows.coordination.log_decision`,
the same call as ``ductplanner decide``: same rules, same lock, same log.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import pandas as pd
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from ...core._errors import DuctPlannerError, InputError
from ...io.workspace import read_layer
from ...model.decisions import decision_status
from ..workflows.coordination import log_decision, read_decisions
from .models import Membership

__all__ = ["answer", "decision_log", "home", "requests_page"]

ANSWERS = {"agreed": "agree", "declined": "decline"}
"""What a utility may answer to a request (status logged: word on the button)."""

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
                "answerable": entry["status"] == "proposed",
            }
        )
    return rows


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
        "requests": _requests_of(digs),
        "digs": [
            {**row, "start": _day(row.get("start")), "end": _day(row.get("end"))}
            for row in digs.to_dict(orient="records")
        ],
        "answers": ANSWERS,
    }
    return render(request, "portal/requests.html", context)


@require_POST
@role_required("utility", "manager")
def answer(request: HttpRequest) -> HttpResponse:
    """Log a utility's answer to a request: agree, or decline with a reason."""
    membership: Membership = request.membership
    dig_id = request.POST.get("dig", "")
    status = request.POST.get("answer", "")
    if status not in ANSWERS:
        return HttpResponseBadRequest("answer must be agreed or declined")
    digs = _visible_digs(membership)
    if dig_id not in set(digs["id"].astype(str)):
        raise Http404("no such dig among yours")  # another owner's dig: not found, not forbidden
    reason = request.POST.get("reason", "").strip()[:REASON_MAX]
    try:
        log_decision(_workspace(), dig_id, status, reason=reason)
    except InputError as exc:
        for problem in exc.problems or []:
            messages.error(request, f"{dig_id}: {problem.message} {problem.hint}".strip())
        if not exc.problems:
            messages.error(request, f"{dig_id}: {exc}")
    except DuctPlannerError as exc:
        messages.error(request, f"{dig_id}: {exc}")
    else:
        messages.success(request, f"{dig_id}: {status}")
    return redirect("requests")


@require_GET
@role_required("manager")
def decision_log(request: HttpRequest) -> HttpResponse:
    """Show the whole decision log, newest last: what the CLI and the portal logged."""
    log = read_decisions(_workspace())
    columns = ["dig_id", "owner", "status", "reason", "date", "year", "metres"]
    rows = log.reindex(columns=columns).to_dict(orient="records")
    return render(request, "portal/log.html", {"rows": rows, "columns": columns})
