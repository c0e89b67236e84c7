"""Progress bars for the long steps, on standard error and only for a person watching.

The library itself stays silent: a long step takes ``progress: bool`` (default
``False``) and the command line passes ``True`` unless ``--quiet`` or
``--json`` was given. Even then a bar is drawn only when standard error is a
terminal, so logs, pipes and CI see nothing.

>>> with progress_bar(3, show=False, desc="nothing") as bar:
...     bar.update(3)

A step that is one call into the library reports its phases through a
callback, ``on_step(name)``, which :func:`step_bar` provides: the library
names what it is doing, the bar shows it.

>>> with step_bar(2, show=False, desc="coverage") as step:
...     step("network")
...     step("addresses")
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from tqdm import tqdm

__all__ = ["OnStep", "no_step", "progress_bar", "step_bar"]

OnStep = Callable[[str], None]
"""A callback a long function calls with the name of each phase as it begins it."""


def no_step(name: str) -> None:
    """Report nothing: the ``on_step`` of a caller that wants no progress."""


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


@contextmanager
def step_bar(
    total: int, *, show: bool, desc: str, file: TextIO | None = None
) -> Iterator[OnStep]:
    """Yield ``step(name)``: each call ends the step before it and shows ``name`` as running.

    Parameters
    ----------
    total : int
        Number of steps expected (more calls only keep the bar full).
    show : bool
        Whether the caller wants a bar at all.
    desc : str
        The bar's label.
    file : text stream, optional
        Where to draw (default: standard error).

    Yields
    ------
    callable
        ``step(name)``, to pass on as a library function's ``on_step``.
    """
    with progress_bar(total, show=show, desc=desc, unit="step", file=file) as bar:
        started = 0

        def step(name: str) -> None:
            nonlocal started
            if started and bar.n < total:
                bar.update(1)
            started += 1
            bar.set_postfix_str(name, refresh=True)

        yield step
        if started and bar.n < total:
            bar.update(total - bar.n)
