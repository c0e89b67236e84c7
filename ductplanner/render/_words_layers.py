"""Danish for the workspace maps (:mod:`.maps`, :mod:`.leaflet`): English text → Danish."""

from __future__ import annotations

__all__ = ["LAYERS_DANISH"]

LAYERS_DANISH: dict[str, str] = {
    "yes": "ja",
    "no": "nej",
    "Owner": "Ejer",
    "Candidate {id}": "Kandidat {id}",
}
