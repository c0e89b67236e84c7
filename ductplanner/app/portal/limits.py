"""How often one client may call the portal, and the page it sees when it calls too often.

The counting is django-ratelimit's; these are the portal's rates and its
"429 Too Many Requests" page. Behind a TLS proxy (``DUCTPLANNER_PORTAL_HTTPS``)
the client is the last address the proxy added to ``X-Forwarded-For``.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

__all__ = [
    "INTEREST_RATE",
    "LOGIN_RATE_PER_ADDRESS",
    "LOGIN_RATE_PER_NAME",
    "LOOKUP_RATE",
    "client_ip",
    "too_many",
]

LOOKUP_RATE = "30/m"
"""Address searches and look-ups per client address: a person types, a scraper floods."""
INTEREST_RATE = "5/h"
"""Registrations of interest per client address (a household, a neighbour or two)."""
LOGIN_RATE_PER_NAME = "5/15m"
"""Login attempts per account name: a guessed password gets five tries a quarter of an hour."""
LOGIN_RATE_PER_ADDRESS = "20/15m"
"""Login attempts per client address, whatever names it tries."""

RETRY_AFTER_S = 900
"""What the refusal asks a client to wait (the longest window above but the hour)."""


def client_ip(request: HttpRequest) -> str:
    """Return the client's address as the trusted proxy saw it (the last ``X-Forwarded-For``)."""
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    last = forwarded.split(",")[-1].strip()
    return last or str(request.META.get("REMOTE_ADDR", ""))


def too_many(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Refuse a call over its rate, saying so in the page's language (HTTP 429)."""
    response = render(request, "portal/too_many.html", status=429)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response
