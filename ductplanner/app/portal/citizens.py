"""The public pages: when does my street get a duct, and I would like one.

No login. A citizen searches an address, sees whether a duct reaches it now
and, if not, the forecast's chance by year that one will; and may register
interest: the address and the day go to the workspace's ``interest`` table,
a name or e-mail only with consent, and only into the portal's own database.
Every page is rate-limited per client address (:mod:`.limits`).
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from django import forms
from django.conf import settings
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from ...analysis.citizens import QUERY_MAX_CHARS, AddressOutlook
from ...core._clock import now
from ...core._errors import DuctPlannerError, InputError
from ..workflows.citizens import (
    address_outlook_of,
    citizen_scenario,
    find_addresses,
    interest_summary,
    register_interest,
)
from .limits import INTEREST_RATE, LOOKUP_RATE
from .models import InterestContact
from .views import role_required

__all__ = ["address_page", "interest_page", "search_page"]

ID_MAX_CHARS = 64
"""The longest address id looked up (ids are short; a longer one is someone probing)."""

CONSENT_TEXT = gettext_lazy(
    "I agree that the municipality keeps the name and e-mail address I gave, to tell me "
    "about broadband ducts in my street. They are not shared with anyone, and they are "
    "deleted when a duct reaches my address or when I ask."
)
"""What a citizen agrees to when giving a name or e-mail (kept with the contact, as shown)."""


def _workspace() -> str:
    return str(settings.DUCTPLANNER_WORKSPACE)


class InterestForm(forms.Form):
    """A registration of interest: nothing is required; contact details need consent."""

    name = forms.CharField(label=gettext_lazy("Name (optional)"), max_length=200, required=False)
    email = forms.EmailField(label=gettext_lazy("E-mail (optional)"), required=False)
    consent = forms.BooleanField(label=CONSENT_TEXT, required=False)

    def clean(self) -> dict[str, Any]:
        """Refuse contact details given without consent (the address alone needs none)."""
        data = super().clean() or {}
        if (data.get("name") or data.get("email")) and not data.get("consent"):
            raise forms.ValidationError(
                _(
                    "To keep a name or e-mail address we need your consent: tick the box, "
                    "or leave both fields empty."
                )
            )
        return data


@require_GET
@ratelimit(group="citizens", key="ip", rate=LOOKUP_RATE, block=True)
def search_page(request: HttpRequest) -> HttpResponse:
    """Find an address from what a person types; one match goes straight to its page."""
    query = str(request.GET.get("q", ""))[:QUERY_MAX_CHARS].strip()
    found: list[dict[str, str]] = []
    if query:
        found = find_addresses(_workspace(), query)
        if len(found) == 1:
            return redirect("address", address_id=found[0]["id"])
    context = {"query": query, "found": found, "searched": bool(query)}
    return render(request, "portal/citizen_search.html", context)


def _outlook(address_id: str) -> AddressOutlook:
    if len(address_id) > ID_MAX_CHARS:
        raise Http404("no such address")
    ws = _workspace()
    try:
        scenario = citizen_scenario(ws, settings.DUCTPLANNER_PORTAL_SCENARIO or None)
        outlook = address_outlook_of(ws, address_id, scenario=scenario)
    except InputError as exc:
        raise Http404("no such address") from exc
    this_year = now().year  # a citizen asks about the years to come
    return replace(outlook, chances=tuple((y, p) for y, p in outlook.chances if y >= this_year))


def chance_words(p: float) -> str:
    """Say a chance as a person would: rounded to 5 %, and never "0 %" or "100 %"."""
    if p < 0.05:
        return _("under 5 %")
    if p > 0.95:
        return _("over 95 %")
    return _("about %(pct)d %%") % {"pct": 5 * round(20 * p)}


@require_http_methods(["GET", "POST"])
@ratelimit(group="citizens", key="ip", rate=LOOKUP_RATE, block=True)
@ratelimit(group="interest", key="ip", rate=INTEREST_RATE, method="POST", block=True)
def address_page(request: HttpRequest, address_id: str) -> HttpResponse:
    """Say whether a duct reaches the address now and when one may; take a registration."""
    outlook = _outlook(address_id)
    form = InterestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            reference = _register(outlook.address_id, form.cleaned_data)
        except DuctPlannerError as exc:
            form.add_error(None, _("Your interest could not be registered: %(why)s") % {"why": exc})
        else:
            return render(
                request, "portal/citizen_thanks.html", {"outlook": outlook, "reference": reference}
            )
    chances = [{"year": y, "p": p, "words": chance_words(p)} for y, p in outlook.chances]
    likely = outlook.year_likely()
    context = {
        "outlook": outlook,
        "chances": chances,
        "first": chances[0] if chances else None,
        "last": chances[-1] if chances else None,
        "likely_year": likely,
        "form": form,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/citizen_address.html", context, status=status)


def _register(address_id: str, data: dict[str, Any]) -> str:
    """Write the registration (and the contact, if given) all or nothing; return its reference.

    The contact is made first and kept only if the workspace then takes the
    registration: a refused write rolls it back.
    """
    with transaction.atomic():
        contact = None
        if data.get("name") or data.get("email"):
            contact = InterestContact.objects.create(
                registration=secrets.token_hex(8),  # until the workspace names it
                address_id=address_id,
                name=data.get("name", ""),
                email=data.get("email", ""),
                consent=str(CONSENT_TEXT),
            )
        row = register_interest(_workspace(), address_id)
        if contact is not None:
            contact.registration = row["id"]
            contact.save(update_fields=["registration"])
    return row["id"]


@require_GET
@role_required("manager")
def interest_page(request: HttpRequest) -> HttpResponse:
    """Show the project manager the addresses that asked for a duct, per district."""
    table = interest_summary(_workspace())
    context = {
        "membership": request.membership,
        "rows": table.to_dict("records"),
        "total": int(table["addresses"].sum()) if len(table) else 0,
        "contacts": InterestContact.objects.count(),
    }
    return render(request, "portal/interest.html", context)
