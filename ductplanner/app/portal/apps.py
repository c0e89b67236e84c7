"""The portal's Django application."""

from __future__ import annotations

from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The co-digging portal: accounts by role, and the pages each role sees."""

    name = "ductplanner.app.portal"
    label = "portal"
    verbose_name = "ductplanner portal"
    default_auto_field = "django.db.models.BigAutoField"
