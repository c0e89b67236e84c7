"""``ductplanner serve``: the portal on one workspace, served by waitress."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

from ...core.result import Result
from ...io.workspace import WorkspaceLike, as_workspace, list_layers

__all__ = ["account_command", "serve_command"]


def serve_command(
    workspace: WorkspaceLike,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    accounts: Path | str | None = None,
    demo_accounts: bool = False,
    scenario: str | None = None,
    announce: Callable[[str], None] = print,
) -> Result:
    """Serve the portal until interrupted.

    Parameters
    ----------
    workspace : path-like or URL
        The workspace to serve (it must exist).
    host, port
        Where to listen (default: this machine only).
    accounts : Path or str, optional
        The accounts: a SQLite file or a ``postgresql://…?schema=NAME`` URL
        (default beside a GeoPackage; a PostGIS workspace's database, schema
        ``SCHEMA_portal``).
    demo_accounts : bool
        Make an account per role with new random passwords, and announce them.
    scenario : str, optional
        The forecast citizens are shown (default: the default scenario, else the first).
    announce : callable
        Told the address (and demo accounts) before serving starts.
    """
    import waitress
    from django.core.wsgi import get_wsgi_application

    from .config import configure

    ws = as_workspace(workspace)
    list_layers(ws)  # says plainly when the workspace is missing
    if scenario:
        from ..workflows.citizens import citizen_scenario

        scenario = citizen_scenario(ws, scenario)  # says plainly when it was not simulated
    where = configure(
        ws, accounts=accounts, hosts=(host, "127.0.0.1", "localhost"), scenario=scenario
    )
    lines = [f"portal on {ws}: http://{host}:{port}/ (accounts in {where})"]
    if demo_accounts:
        from .accounts import demo_accounts as make_demo_accounts

        made = make_demo_accounts(str(ws))
        lines += [f"  {name:<22} {password}" for name, password in made.items()]
    announce("\n".join([*lines, "serving; Ctrl-C stops it"]))
    with contextlib.suppress(KeyboardInterrupt):
        waitress.serve(get_wsgi_application(), host=host, port=port, threads=8, ident="ductplanner")
    return Result({"workspace": str(ws), "host": host, "port": port}, "portal stopped")


def account_command(
    workspace: WorkspaceLike,
    username: str,
    password: str,
    *,
    role: str,
    owner: str = "",
    accounts: Path | str | None = None,
) -> Result:
    """Make (or update) one portal account of a workspace (``ductplanner account``)."""
    from .config import configure

    ws = as_workspace(workspace)
    list_layers(ws)
    where = configure(ws, accounts=accounts)
    from .accounts import add_account  # its models need Django configured

    made = add_account(username, password, role, owner)
    text = f"account {username} ({role}{': ' + owner if owner else ''}) saved in {where}"
    return Result({**made, "accounts": str(where)}, text)
