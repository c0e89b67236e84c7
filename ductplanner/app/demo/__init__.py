"""The embedded default municipality.

Two towns live here. :func:`generate_demo` builds a synthetic, Ballerup-like
municipality (about 49,000 inhabitants in 23,000 households, 2,000–3,000
businesses, 300–400 km of streets and paths) at Ballerup's real location in
EPSG:25832, so a basemap under it shows the right place. It is *synthetic*:
the layout, the streets, the addresses, the ducts and the dig plans are made
up, and every workspace written by :func:`write_demo_workspace` says so in its
provenance table. The same seed always gives the same layers.

:func:`tiny_layers` is a hand-made, hand-checkable town of nine blocks used by
doctests and fast tests. Every figure in it can be worked out on paper:

::

      y=200  +---------+----:----+---------+        Parkvej (H2)
             |         |    :    |         |
      y=100  +---------+----+----+---------+----    Skolevej (H1) + Blindgyden
             |         |         |         |
      y=0    P=========+=========+---------+        Centervej (H0)
            x=0      x=100     x=200     x=300

``P`` is the point of presence; ``===`` the existing connected duct D1 along
Centervej (x 0–200); a duct island D2 runs along Østvej (x=300, y 100–200);
``:`` is a footpath. Coordinates are offsets from (710 000, 6 180 000) in
EPSG:25832, in the middle of Ballerup.

>>> layers = tiny_layers()
>>> sorted(layers)
['addresses', 'backbone', 'digs', 'districts', 'ducts', 'sites', 'streets']
>>> int(layers["addresses"]["units"].sum())
40

How the demo municipality is built
----------------------------------
Fourteen districts named after real parts of Ballerup Kommune sit on a fixed
plan (towns Ballerup, Skovlunde and Måløv, the business park Lautrupgård, the
villages Kildedal, Jonstrup and Pederstrup, with fields between them). Each
town is a warped lattice of blocks; a district's *pattern* decides which
lattice edges become streets and which become paths (villa areas get
collector roads with cul-de-sacs joined by footpaths, housing estates large
blocks criss-crossed by paths, the business park large blocks). Rural through
roads join the towns, lanes lead to farms, and recreational paths cross the
green space. The network is noded (streets meet at shared end points, crossings
are split) and every street runs junction to junction. Addresses sit 8–25 m
beside their street, farms farther away. The seed moves everything that is
not the plan: the warp, the block patterns, street names, addresses, sites,
backbone, ducts and dig plans.

The modules, in the order they build a municipality: :mod:`.plan` (the fixed
plan, street names, the layout at a scale), :mod:`.streets`, :mod:`.addresses`,
:mod:`.ducts` (sites, backbone, ducts), :mod:`.digs`, :mod:`.town` (all layers
assembled), :mod:`.tiling` (national scale) and :mod:`.workspace` (the
GeoPackage); :mod:`.tiny` is the tiny town.

>>> demo = generate_demo(seed=7, scale=0.05)
>>> sorted(demo) == sorted(tiny_layers())
True
>>> bool(demo["addresses"].geometry.x.between(704_000, 716_000).all())
True
"""

from __future__ import annotations

from .plan import DEMO_BOUNDS, DEMO_HOUSEHOLDS, DEMO_PLANNING_DATE, SYNTHETIC_NOTE
from .tiling import generate_tiled
from .tiny import TINY_ORIGIN, tiny_layers
from .town import generate_demo
from .workspace import write_demo_workspace

__all__ = [
    "DEMO_BOUNDS",
    "DEMO_HOUSEHOLDS",
    "DEMO_PLANNING_DATE",
    "SYNTHETIC_NOTE",
    "TINY_ORIGIN",
    "generate_demo",
    "generate_tiled",
    "tiny_layers",
    "write_demo_workspace",
]
