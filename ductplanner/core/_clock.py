"""The one clock ductplanner stamps its outputs with.

``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds
convention) replaces the current time when it is set, so the same inputs
and seed give byte-identical workspaces' provenance, forecasts and reports.

>>> import os
>>> os.environ["SOURCE_DATE_EPOCH"] = "0"
>>> timestamp()
'1970-01-01T00:00:00Z'
>>> del os.environ["SOURCE_DATE_EPOCH"]
"""

from __future__ import annotations

import datetime as dt
import os

__all__ = ["SOURCE_DATE_EPOCH", "now", "timestamp"]

SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
"""Environment variable: the time to stamp outputs with, in seconds since 1970 (UTC)."""


def now() -> dt.datetime:
    """Return the current UTC time, or ``SOURCE_DATE_EPOCH`` when it is set to seconds."""
    epoch = os.environ.get(SOURCE_DATE_EPOCH, "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    return dt.datetime.now(dt.UTC)


def timestamp() -> str:
    """Return :func:`now` as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return now().strftime("%Y-%m-%dT%H:%M:%SZ")
