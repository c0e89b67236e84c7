"""The portal as a WSGI application, for a real web server.

Set ``DUCTPLANNER_WORKSPACE`` (a GeoPackage path or ``postgresql://`` URL)
and ``DUCTPLANNER_SECRET_KEY``, then for example::

    waitress-serve --listen=127.0.0.1:8000 ductplanner.app.portal.wsgi:application

behind a TLS proxy that sets ``X-Forwarded-Proto`` (and with
``DUCTPLANNER_PORTAL_HTTPS=1``).
"""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from .config import SECRET_ENV, WORKSPACE_ENV, configure

if not os.environ.get(WORKSPACE_ENV) or not os.environ.get(SECRET_ENV):
    raise RuntimeError(f"set {WORKSPACE_ENV} and {SECRET_ENV} to serve the portal")
configure(os.environ[WORKSPACE_ENV])
application = get_wsgi_application()
