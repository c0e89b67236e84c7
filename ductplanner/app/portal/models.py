"""Who an account is in the portal: its role, and for a utility the owner it speaks for."""

from __future__ import annotations

from django.conf import settings
from django.db import models

ROLES = ("utility", "manager", "committee")
"""The roles an account may have (citizens need none)."""


class Membership(models.Model):
    """An account's role; a utility account names the ``owner`` of its digs (as in ``digs``)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership"
    )
    role = models.CharField(max_length=16, choices=[(r, r) for r in ROLES])
    owner = models.CharField(max_length=200, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.user} ({self.role}{': ' + self.owner if self.owner else ''})"
