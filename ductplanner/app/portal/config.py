"""The portal's Django settings, made from the workspace it serves and the environment.

Secrets come from the environment, never from the workspace: the session
signing key from ``DUCTPLANNER_SECRET_KEY`` (without it a random key is made
at each start, so sessions end with the process). Accounts live in a small
SQLite file of Django's beside a GeoPackage workspace (``NAME-portal.sqlite3``),
in the schema ``SCHEMA_portal`` of a PostGIS workspace's database (so several
portal processes share them), or where ``accounts`` says.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from ...core._errors import WorkspaceError
from ...io.postgis import Database, connection_params, is_database, make_schema, parse_database
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


def accounts_path(workspace: WorkspaceLike) -> Path | Database:
    """Return where a workspace's portal keeps its accounts by default.

    For a GeoPackage, the SQLite file ``NAME-portal.sqlite3`` beside it; for a
    PostGIS workspace, the schema ``SCHEMA_portal`` of the same database, so
    that several portal processes share accounts and sessions.
    """
    ws = as_workspace(workspace)
    if isinstance(ws, Database):
        schema = f"{ws.schema}_portal"[:63]
        return Database(
            ws.conninfo, schema, ws.shown.replace(f"schema={ws.schema}", f"schema={schema}")
        )
    return ws.parent / f"{ws.stem}-portal.sqlite3"


def accounts_database(accounts: Path | Database) -> dict[str, Any]:
    """Return Django's ``DATABASES["default"]`` for an accounts file or PostgreSQL schema."""
    if not isinstance(accounts, Database):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(accounts)}
    params = connection_params(accounts)
    plain = {
        "dbname": "NAME",
        "user": "USER",
        "password": "PASSWORD",
        "host": "HOST",
        "port": "PORT",
    }
    options = {k: v for k, v in params.items() if k not in plain}
    options["options"] = f"-c search_path={accounts.schema}"
    return {
        "ENGINE": "django.db.backends.postgresql",
        **{plain[k]: v for k, v in params.items() if k in plain},
        "OPTIONS": options,
    }


def portal_settings(
    workspace: WorkspaceLike,
    accounts: Path | Database,
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
    accounts : Path or Database
        The SQLite file of accounts and sessions, or a PostgreSQL schema for them.
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
        "DATABASES": {"default": accounts_database(accounts)},
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
    accounts: Path | str | Database | None = None,
    secret_key: str | None = None,
    hosts: tuple[str, ...] | None = None,
    https: bool | None = None,
    scenario: str | None = None,
) -> Path | Database:
    """Configure Django for this process's portal and bring its accounts database up to date.

    ``accounts`` (else ``DUCTPLANNER_PORTAL_ACCOUNTS``, else :func:`accounts_path`)
    is a SQLite file or a ``postgresql://…?schema=NAME`` URL. Returns where
    the accounts are. Django is configured once per process: a second call
    for another workspace is refused.

    Raises
    ------
    WorkspaceError
        When the process already serves another workspace, or the accounts'
        database cannot be reached.
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
        return settings.DUCTPLANNER_ACCOUNTS
    where = _accounts_at(accounts or os.environ.get(ACCOUNTS_ENV) or accounts_path(ws))
    key = secret_key or os.environ.get(SECRET_ENV) or secrets.token_urlsafe(50)
    secure = bool(os.environ.get(HTTPS_ENV)) if https is None else https
    shown = os.environ.get(SCENARIO_ENV, "") if scenario is None else scenario
    settings.configure(
        **portal_settings(
            ws,
            where,
            key,
            hosts=hosts or ("127.0.0.1", "localhost"),
            https=secure,
            scenario=shown,
        ),
        DUCTPLANNER_ACCOUNTS=where,
    )
    django.setup()
    if isinstance(where, Database):
        make_schema(where)
    else:
        where.parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", verbosity=0, interactive=False)
    return where


def _accounts_at(value: Path | str | Database) -> Path | Database:
    if isinstance(value, Database):
        return value
    text = str(value)
    return parse_database(text) if is_database(text) else Path(text)
