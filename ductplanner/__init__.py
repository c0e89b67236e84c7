"""ductplanner: plan broadband ducts laid by co-digging, and forecast coverage.

A municipality lays empty ducts only where someone else has the street open
anyway. ductplanner keeps the layers in one GeoPackage workspace, finds the
co-digging opportunities in third-party dig plans, chooses which to join within
the budget, forecasts coverage over the regrowth cycle, and renders maps.
"""

from __future__ import annotations

from .core._errors import (
    DuctPlannerError,
    InputError,
    MissingInputError,
    Problem,
    ScenarioError,
    SolverError,
    WorkspaceError,
)

__version__ = "0.1.0"

__all__ = [
    "DuctPlannerError",
    "InputError",
    "MissingInputError",
    "Problem",
    "ScenarioError",
    "SolverError",
    "WorkspaceError",
    "__version__",
]
