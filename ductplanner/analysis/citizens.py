"""What a citizen asks: which address is mine, does a duct reach it, and when will one.

Pure functions on layers already read: :func:`search_addresses` finds an
address from what a person types, :func:`address_outlook` says whether a duct
reaches it now and the forecast's chance by year that one will, and
:func:`interest_by_district` counts the addresses that asked for one.

>>> import pandas as pd
>>> addresses = pd.DataFrame({
...     "id": ["A1", "A2", "A3"],
...     "address": ["Ballerup Byvej 12, 2750 Ballerup", "Ballerup Byvej 121, 2750 Ballerup",
...                 "Hedegårdsvej 3, 2750 Ballerup"],
... })
>>> search_addresses(addresses, "ballerup byvej 12")["id"].tolist()
['A1']
>>> search_addresses(addresses, "HEDEGÅRDS")["id"].tolist()
['A3']
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from ..model.network import StreetNetwork
from .addresses import DEFAULT_DROP_M, address_coverage, edge_demand

__all__ = [
    "QUERY_MAX_CHARS",
    "AddressOutlook",
    "address_outlook",
    "interest_by_district",
    "interest_weights",
    "normalised_words",
    "search_addresses",
]

QUERY_MAX_CHARS = 200
"""The longest search text looked at (an address is far shorter)."""

_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def normalised_words(text: str) -> list[str]:
    """Return the words of ``text`` as a search compares them: case-folded, NFC, no punctuation.

    >>> normalised_words("Østerhøj Allé 17B, 2750  Ballerup")
    ['østerhøj', 'allé', '17b', '2750', 'ballerup']
    """
    text = unicodedata.normalize("NFC", str(text)[:QUERY_MAX_CHARS]).casefold()
    return _WORD.findall(text)


def search_addresses(addresses: pd.DataFrame, query: str, *, limit: int = 10) -> pd.DataFrame:
    """Return the addresses whose written form holds every word of ``query``, best first.

    A word of the query matches the start of a word of the address ("hede"
    finds "Hedegårdsvej"); a word with a digit (a house number or a postcode)
    must match a whole word, so "12" does not find number 121.

    Parameters
    ----------
    addresses : DataFrame
        With ``id`` and ``address`` (the written address; empty ones never match).
    query : str
        What the person typed (only its first :data:`QUERY_MAX_CHARS` characters count).
    limit : int
        The most rows returned.

    Returns
    -------
    DataFrame
        The matching rows of ``addresses`` (shortest address first, then by
        address), at most ``limit``; empty when the query has no words.
    """
    wanted = normalised_words(query)
    if not wanted or "address" not in addresses:
        return addresses.iloc[0:0]
    text = addresses["address"].fillna("").astype(str)
    words = text.map(lambda t: " " + " ".join(normalised_words(t)) + " ")
    hit = np.ones(len(addresses), dtype=bool)
    for word in wanted:
        whole = any(ch.isdigit() for ch in word)
        pattern = f" {word} " if whole else f" {word}"
        hit &= words.str.contains(pattern, regex=False).to_numpy()
    found = addresses[hit]
    order = np.lexsort((text[hit].to_numpy(), text[hit].str.len().to_numpy()))
    return found.iloc[order[:limit]]


@dataclass(frozen=True)
class AddressOutlook:
    """Whether a duct reaches an address now, and the chance by year that one will.

    Attributes
    ----------
    address_id, address, district : str
        The address, as written, and its district (``""`` when none).
    covered : bool
        A duct connected to the network runs in its street edge today.
    beyond_drop : bool
        No street edge lies within the drop distance: no street duct will reach it.
    distance_m : float
        From the address to its street edge (NaN when beyond the drop).
    chances : tuple of (int, float)
        Year and the forecast's chance that the street edge is duct-covered by
        the end of that year (empty when covered, beyond the drop, or no forecast).
    scenario : str
        The forecast the chances come from (``""`` when none).
    """

    address_id: str
    address: str
    district: str
    covered: bool
    beyond_drop: bool
    distance_m: float
    chances: tuple[tuple[int, float], ...] = field(default=())
    scenario: str = ""

    def year_likely(self, share: float = 0.5) -> int | None:
        """Return the first year whose chance reaches ``share`` (None: not within the forecast)."""
        return next((year for year, p in self.chances if p >= share), None)


def address_outlook(
    address: pd.Series,
    coverage: pd.Series,
    edge_forecast: pd.DataFrame,
    years: list[int] | tuple[int, ...],
    *,
    scenario: str = "",
) -> AddressOutlook:
    """Return what the citizen page says about one address.

    Parameters
    ----------
    address : Series
        The address's row of the ``addresses`` layer (``id``, ``address``).
    coverage : Series
        Its row of the ``coverage`` layer (``district``, ``edge_id``,
        ``distance_m``, ``beyond_drop``, ``duct_covered``).
    edge_forecast : DataFrame
        The forecast's rows for the address's street edge (``year``,
        ``p_covered``); a year without a row has chance 0.
    years : sequence of int
        The forecast's years.
    scenario : str
        The forecast's scenario key.

    Examples
    --------
    >>> row = pd.Series({"id": "A1", "address": "Skolevej 4"})
    >>> cov = pd.Series({"district": "Vest", "edge_id": "e1", "distance_m": 12.0,
    ...                  "beyond_drop": False, "duct_covered": False})
    >>> fc = pd.DataFrame({"year": [2027, 2028], "p_covered": [0.2, 0.55]})
    >>> outlook = address_outlook(row, cov, fc, [2026, 2027, 2028], scenario="s")
    >>> outlook.chances, outlook.year_likely()
    (((2026, 0.0), (2027, 0.2), (2028, 0.55)), 2028)
    """
    covered = bool(coverage.get("duct_covered", False))
    beyond = bool(coverage.get("beyond_drop", False))
    chances: tuple[tuple[int, float], ...] = ()
    if not covered and not beyond and len(years):
        by_year = dict(
            zip(
                edge_forecast["year"].astype(int),
                edge_forecast["p_covered"].astype(float),
                strict=True,
            )
        )
        chances = tuple((int(y), float(by_year.get(int(y), 0.0))) for y in sorted(years))
    distance = coverage.get("distance_m")
    return AddressOutlook(
        address_id=str(address["id"]),
        address=str(address.get("address") or ""),
        district=str(coverage.get("district") or ""),
        covered=covered,
        beyond_drop=beyond,
        distance_m=float(distance) if distance is not None and pd.notna(distance) else float("nan"),
        chances=chances,
        scenario=scenario if chances else "",
    )


def interest_by_district(interest: pd.DataFrame, coverage: pd.DataFrame) -> pd.DataFrame:
    """Count the addresses (and their households) that registered interest, per district.

    An address that registered twice counts once.

    Parameters
    ----------
    interest : DataFrame
        The ``interest`` table (``address_id``).
    coverage : DataFrame
        The ``coverage`` layer (``id``, ``units``, ``district``, ``duct_covered``).

    Returns
    -------
    DataFrame
        ``district``, ``addresses``, ``households``, ``already_covered``
        (addresses that have a duct now), busiest district first.

    Examples
    --------
    >>> interest = pd.DataFrame({"address_id": ["A1", "A1", "A2"]})
    >>> coverage = pd.DataFrame({"id": ["A1", "A2", "A3"], "units": [2, 1, 5],
    ...                          "district": ["Vest", "Øst", "Øst"],
    ...                          "duct_covered": [False, True, False]})
    >>> table = interest_by_district(interest, coverage)
    >>> table.to_dict("records")  # doctest: +NORMALIZE_WHITESPACE
    [{'district': 'Vest', 'addresses': 1, 'households': 2, 'already_covered': 0},
     {'district': 'Øst', 'addresses': 1, 'households': 1, 'already_covered': 1}]
    """
    columns = ["district", "addresses", "households", "already_covered"]
    wanted = set(interest["address_id"].astype(str)) if len(interest) else set()
    asked = coverage[coverage["id"].astype(str).isin(wanted)]
    if asked.empty:
        return pd.DataFrame(columns=columns)
    grouped = asked.assign(
        district=asked["district"].fillna("").astype(str),
        units=asked["units"].astype(int),
        covered=asked["duct_covered"].astype(bool).astype(int),
    ).groupby("district", sort=True)
    table = pd.DataFrame(
        {
            "addresses": grouped.size(),
            "households": grouped["units"].sum(),
            "already_covered": grouped["covered"].sum(),
        }
    ).reset_index()
    table = table.sort_values(["addresses", "district"], ascending=[False, True], kind="stable")
    return table.reset_index(drop=True)[columns].astype(
        {"addresses": int, "households": int, "already_covered": int}
    )


def interest_weights(
    edge_households: np.ndarray,
    asked: gpd.GeoDataFrame,
    network: StreetNetwork,
    weight: float,
    *,
    drop: float = DEFAULT_DROP_M,
) -> tuple[np.ndarray, int]:
    """Return what covering each street edge is worth when citizens' interest counts extra.

    A household whose address asked for a duct counts ``1 + weight`` times;
    the others once. The plan still reports households as they are.

    Parameters
    ----------
    edge_households : array
        Households per street edge (network order).
    asked : GeoDataFrame
        The addresses that registered interest (each once).
    network : StreetNetwork
        The network the households were assigned on.
    weight : float
        The scenario's ``optimizer.interest_weight``.
    drop : float
        The drop distance the households were assigned with.

    Returns
    -------
    weights : array
        Per street edge, ``households + weight x households that asked``.
    households_asked : int
        The households at the addresses that asked, within the drop distance.
    """
    if asked.empty or weight == 0:
        return np.asarray(edge_households, dtype=float), 0
    extra = edge_demand(address_coverage(asked, network, drop=drop), network)["households"]
    asked_households = extra.to_numpy(dtype=float)
    weights = np.asarray(edge_households, dtype=float) + weight * asked_households
    return weights, int(asked_households.sum())
