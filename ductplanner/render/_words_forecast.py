"""Danish for the forecast maps and the page around every map: English text → Danish.

Covers :mod:`.forecast_maps`, :mod:`.page` and the notes the map command adds.
"""

from __future__ import annotations

__all__ = ["FORECAST_DANISH"]

FORECAST_DANISH: dict[str, str] = {}
