"""The portal's Django settings, made from the workspace it serves and the environment.

Secrets come from the environment, never from the workspace: the session
signing key from ``DUCTPLANNER_SECRET_KEY`` (without it a random key is made
at each start, so sessions end with the process). Accounts live in a small
SQLite file of Django's beside the workspace (``NAME-portal.sqlite3``; for a
PostGIS workspace in the current folder), or where ``accounts`` says.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from ...core._errors import WorkspaceError
from ...io.workspace import WorkspaceLike, as_workspace

__all__ = [
    "ACCOUNTS_ENV",
    "HTTPS_ENV",
    "SCENARIO_ENV",
    "SECRET_ENV",
    "WORKSPACE_ENV",
    "accounts_path",
    "configure",
    "portal_settings",
]

WORKSPACE_ENV = "DUCTPLANNER_WORKSPACE"
"""Environment variable: the workspace a WSGI server's portal serves."""
SECRET_ENV = "DUCTPLANNER_SECRET_KEY"
"""Environment variable: the key that signs sessions and CSRF tokens."""
ACCOUNTS_ENV = "DUCTPLANNER_PORTAL_ACCOUNTS"
"""Environment variable: the accounts database file (default beside the workspace)."""
HTTPS_ENV = "DUCTPLANNER_PORTAL_HTTPS"
"""Environment variable: set to 1 behind a TLS proxy, so cookies are sent over HTTPS only."""
SCENARIO_ENV = "DUCTPLANNER_PORTAL_SCENARIO"
"""Environment variable: the forecast citizens are shown (a scenario key)."""

SESSION_HOURS = 8
"""A login lasts a working day at most (and ends when the browser closes)."""

_TEMPLATES = Path(__file__).with_name("templates")
_LOCALE = Path(__file__).with_name("locale")


def accounts_path(workspace: WorkspaceLike) -> Path:
    """Return the default accounts file of a workspace's portal."""
    ws = as_workspace(workspace)
    return ws.parent / f"{ws.stem}-portal.sqlite3"


def portal_settings(
    workspace: WorkspaceLike,
    accounts: Path,
    secret_key: str,
    *,
    hosts: tuple[str, ...] = ("127.0.0.1", "localhost"),
    https: bool = False,
    debug: bool = False,
    scenario: str = "",
) -> dict[str, Any]:
    """Return Django's settings for a portal on ``workspace``.

    Parameters
    ----------
    workspace : path-like or URL
        The workspace the pages read and the answers are written to.
    accounts : Path
        The SQLite file of accounts and sessions.
    secret_key : str
        Signs sessions and CSRF tokens.
    hosts : tuple of str
        Host names the portal answers to (Django's ``ALLOWED_HOSTS``).
    https : bool
        Served behind TLS: cookies only over HTTPS, the proxy's scheme trusted.
    debug : bool
        Django's debug pages (never in production).
    scenario : str
        The forecast citizens are shown (default: the default scenario's, else the first).
    """
    secure = {
        "SESSION_COOKIE_SECURE": https,
        "CSRF_COOKIE_SECURE": https,
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https") if https else None,
    }
    return {
        "DEBUG": debug,
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": list(hosts),
        "ROOT_URLCONF": "ductplanner.app.portal.urls",
        "INSTALLED_APPS": [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "ductplanner.app.portal",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.locale.LocaleMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "django_ratelimit.middleware.RatelimitMiddleware",
        ],
        "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(accounts)}},
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(_TEMPLATES)],
                "APP_DIRS": False,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        "AUTH_PASSWORD_VALIDATORS": [
            {
                "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
                "OPTIONS": {"min_length": 10},
            },
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        "LOGIN_URL": "login",
        "LOGIN_REDIRECT_URL": "home",
        "LOGOUT_REDIRECT_URL": "home",
        "SESSION_COOKIE_AGE": SESSION_HOURS * 3600,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "CSRF_COOKIE_HTTPONLY": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "DATA_UPLOAD_MAX_MEMORY_SIZE": 2 * 1024 * 1024,
        "USE_TZ": True,
        "TIME_ZONE": "Europe/Copenhagen",
        "LANGUAGE_CODE": "en",
        "LANGUAGES": [("en", "English"), ("da", "Dansk")],
        "USE_I18N": True,
        "LOCALE_PATHS": [str(_LOCALE)],
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        # Rate limits count in this process's memory: waitress serves one process of
        # threads. Behind several processes, point CACHES at memcached or Redis.
        "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        "RATELIMIT_VIEW": "ductplanner.app.portal.limits.too_many",
        "RATELIMIT_IP_META_KEY": "ductplanner.app.portal.limits.client_ip" if https else None,
        "SILENCED_SYSTEM_CHECKS": ["django_ratelimit.E003", "django_ratelimit.W001"],
        "DUCTPLANNER_PORTAL_SCENARIO": scenario,
        "DUCTPLANNER_WORKSPACE": str(as_workspace(workspace)),
        **secure,
    }


def configure(
    workspace: WorkspaceLike,
    *,
    accounts: Path | None = None,
    secret_key: str | None = None,
    hosts: tuple[str, ...] | None = None,
    https: bool | None = None,
    scenario: str | None = None,
) -> Path:
    """Configure Django for this process's portal and bring its accounts database up to date.

    Returns the accounts file. Django is configured once per process: a
    second call for another workspace is refused.

    Raises
    ------
    WorkspaceError
        When the process already serves another workspace.
    """
    import django
    from django.conf import settings
    from django.core.management import call_command

    ws = as_workspace(workspace)
    if settings.configured:
        if str(ws) != settings.DUCTPLANNER_WORKSPACE:
            raise WorkspaceError(
                f"this process already serves the portal of {settings.DUCTPLANNER_WORKSPACE}"
            )
        return Path(settings.DATABASES["default"]["NAME"])
    accounts = accounts or Path(os.environ.get(ACCOUNTS_ENV) or accounts_path(ws))
    key = secret_key or os.environ.get(SECRET_ENV) or secrets.token_urlsafe(50)
    secure = bool(os.environ.get(HTTPS_ENV)) if https is None else https
    shown = os.environ.get(SCENARIO_ENV, "") if scenario is None else scenario
    settings.configure(
        **portal_settings(
            ws,
            accounts,
            key,
            hosts=hosts or ("127.0.0.1", "localhost"),
            https=secure,
            scenario=shown,
        )
    )
    django.setup()
    accounts.parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    return accounts
