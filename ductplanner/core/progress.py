"""Progress bars for the long steps, on standard error and only for a person watching.

The library itself stays silent: a long step takes ``progress: bool`` (default
``False``) and the command line passes ``True`` unless ``--quiet`` or
``--json`` was given. Even then a bar is drawn only when standard error is a
terminal, so logs, pipes and CI see nothing.

>>> with progress_bar(3, show=False, desc="nothing") as bar:
...     bar.update(3)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tqdm import tqdm

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(
    total: int, *, show: bool, desc: str, unit: str = "it", file: TextIO | None = None
) -> Iterator[Any]:
    """Yield a tqdm bar on standard error: drawn when ``show`` and stderr is a terminal.

    Parameters
    ----------
    total : int
        Number of units of work.
    show : bool
        Whether the caller wants a bar at all (the CLI's ``not --quiet``).
    desc, unit : str
        The bar's label and the name of one unit of work.
    file : text stream, optional
        Where to draw (default: standard error).

    Yields
    ------
    tqdm
        Call ``update(n)`` on it; a disabled bar accepts the calls and draws nothing.
    """
    stream = sys.stderr if file is None else file
    drawn = show and stream.isatty()
    bar = tqdm(total=total, desc=desc, unit=unit, file=stream, leave=False, disable=not drawn)
    try:
        yield bar
    finally:
        bar.close()
