"""Contact details citizens chose to give with a registration of interest."""

from __future__ import annotations

from typing import ClassVar

from django.db import migrations, models


class Migration(migrations.Migration):
    """Create :class:`ductplanner.app.portal.models.InterestContact`."""

    dependencies: ClassVar[list[tuple[str, str]]] = [("portal", "0001_initial")]

    operations: ClassVar[list[object]] = [
        migrations.CreateModel(
            name="InterestContact",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("registration", models.CharField(db_index=True, max_length=16)),
                ("address_id", models.CharField(max_length=64)),
                ("name", models.CharField(blank=True, default="", max_length=200)),
                ("email", models.EmailField(blank=True, default="", max_length=254)),
                (
                    "consent",
                    models.TextField(help_text="the consent text the person agreed to, as shown"),
                ),
                ("created", models.DateTimeField(auto_now_add=True)),
            ],
        ),
    ]
