"""The co-digging portal: a Django application over one workspace.

Utilities log in and answer the municipality's requests; the project
manager sees every request and the decision log. Django brings the
accounts (hashed passwords), sessions and CSRF protection; this package
brings the pages. :func:`ductplanner.app.portal.server.serve_command` serves it
(``ductplanner serve``), :mod:`ductplanner.app.portal.wsgi` hands it to a real
web server.
"""
