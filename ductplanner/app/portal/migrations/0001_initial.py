"""The portal's first tables: the membership of each account."""

from __future__ import annotations

from typing import ClassVar

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    """Create :class:`ductplanner.app.portal.models.Membership`."""

    initial = True

    dependencies: ClassVar[list[object]] = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL)
    ]

    operations: ClassVar[list[object]] = [
        migrations.CreateModel(
            name="Membership",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "role",
                    models.CharField(
                        choices=[
                            ("utility", "utility"),
                            ("manager", "manager"),
                            ("committee", "committee"),
                        ],
                        max_length=16,
                    ),
                ),
                ("owner", models.CharField(blank=True, default="", max_length=200)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="membership",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
