"""Citizens' interest in a duct: the workspace table the citizen page appends to.

One row per registration: which address asked and when. Nothing personal is
kept here (a workspace is shared, copied and opened in QGIS); contact details a
citizen chose to give stay in the portal's own database.

>>> empty_interest().columns.tolist()
['id', 'address_id', 'district', 'date']
"""

from __future__ import annotations

import pandas as pd

__all__ = ["INTEREST_COLUMNS", "INTEREST_TABLE", "empty_interest", "typed_interest"]

INTEREST_TABLE = "interest"
"""Name of the attribute-only workspace table of registrations."""

INTEREST_COLUMNS = ("id", "address_id", "district", "date")
"""Its columns: registration id (``I000001``…), address, the address's district, ISO day."""


def empty_interest() -> pd.DataFrame:
    """Return a table of no registrations, with its columns."""
    return typed_interest(pd.DataFrame(columns=list(INTEREST_COLUMNS)))


def typed_interest(table: pd.DataFrame) -> pd.DataFrame:
    """Return ``table`` with the interest columns, in order, as text."""
    table = table.reindex(columns=list(INTEREST_COLUMNS)).reset_index(drop=True)
    for column in INTEREST_COLUMNS:
        values = table[column].astype("object")
        table[column] = values.where(values.notna(), "").map(str)
    return table
