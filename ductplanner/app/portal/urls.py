"""The portal's addresses."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="portal/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("requests/", views.requests_page, name="requests"),
    path("requests/answer/", views.answer, name="answer"),
    path("digs/upload/", views.upload, name="upload"),
    path("digs/done/", views.report_done, name="done"),
    path("requests/send/", views.send_requests, name="send"),
    path("log/", views.decision_log, name="log"),
    path("committee/", views.committee_page, name="committee"),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the language button
]
