"""Portal accounts: made by the framework (hashed passwords), each with one role."""

from __future__ import annotations

import secrets
from typing import Any

from ...core._errors import InputError, Problem
from ...io.workspace import read_layer
from .models import ROLES, Membership

__all__ = ["add_account", "demo_accounts"]


def add_account(username: str, password: str, role: str, owner: str = "") -> dict[str, Any]:
    """Create an account, or set the password and role of an existing one.

    Parameters
    ----------
    username : str
        The login name.
    password : str
        Checked by Django's password validators (at least 10 characters, not
        common, not all digits) and stored hashed by Django.
    role : {"utility", "manager", "committee"}
    owner : str
        For a utility: its name as the ``owner`` of its digs.

    Raises
    ------
    InputError
        An unknown role, a utility without an owner, or a weak password.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    problems = []
    if role not in ROLES:
        problems.append(_problem(username, "role", f"role {role!r} is unknown", ", ".join(ROLES)))
    if role == "utility" and not owner.strip():
        problems.append(
            _problem(username, "owner", "a utility account needs --owner", "its name in digs")
        )
    users = get_user_model()
    user = users.objects.filter(username=username).first() or users(username=username)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        for message in exc.messages:
            problems.append(_problem(username, "password", message, "choose a longer password"))
    if problems:
        raise InputError(problems, summary="account not made")
    user.set_password(password)
    user.save()
    Membership.objects.update_or_create(user=user, defaults={"role": role, "owner": owner})
    return {"username": username, "role": role, "owner": owner}


def _problem(username: str, field: str, message: str, hint: str) -> Problem:
    return Problem("portal accounts", "", username, field, "account", message, hint)


def demo_accounts(workspace: str) -> dict[str, str]:
    """Make one account per role (a utility account per owner of a dig), with new passwords.

    Returns user name -> password, to print once: passwords are random and
    stored only as hashes.
    """
    owners = sorted(set(read_layer(workspace, "digs", required=False)["owner"].astype(str)))
    wanted = [("manager", "manager", ""), ("committee", "committee", "")]
    wanted += [(_username(owner), "utility", owner) for owner in owners if owner]
    made = {}
    for username, role, owner in wanted:
        password = secrets.token_urlsafe(12)
        add_account(username, password, role, owner)
        made[username] = password
    return made


def _username(owner: str) -> str:
    from ...analysis.requests import owner_slug

    return owner_slug(owner)
