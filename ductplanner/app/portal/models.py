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


class InterestContact(models.Model):
    """How a citizen who registered interest may be reached, kept only with their consent.

    The registration itself (address and day) is in the workspace's ``interest``
    table; this row holds what a person chose to add, outside the workspace,
    and names the registration it belongs to.
    """

    registration = models.CharField(max_length=16, db_index=True)
    address_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200, blank=True, default="")
    email = models.EmailField(max_length=254, blank=True, default="")
    consent = models.TextField(help_text="the consent text the person agreed to, as shown")
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.registration} ({self.address_id})"
