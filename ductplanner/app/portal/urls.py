"""The portal's addresses."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django_ratelimit.decorators import ratelimit

from . import citizens, views
from .limits import LOGIN_RATE_PER_ADDRESS, LOGIN_RATE_PER_NAME

_login = auth_views.LoginView.as_view(template_name="portal/login.html")
_login = ratelimit(key="ip", rate=LOGIN_RATE_PER_ADDRESS, method="POST", block=True)(_login)
_login = ratelimit(key="post:username", rate=LOGIN_RATE_PER_NAME, method="POST", block=True)(_login)

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", _login, name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("requests/", views.requests_page, name="requests"),
    path("requests/answer/", views.answer, name="answer"),
    path("digs/upload/", views.upload, name="upload"),
    path("digs/done/", views.report_done, name="done"),
    path("requests/send/", views.send_requests, name="send"),
    path("log/", views.decision_log, name="log"),
    path("committee/", views.committee_page, name="committee"),
    path("map/", views.map_page, name="map"),
    path("interest/", citizens.interest_page, name="interest"),
    path("address/", citizens.search_page, name="citizens"),
    path("address/<str:address_id>/", citizens.address_page, name="address"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language button
]
