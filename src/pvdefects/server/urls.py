"""URLs: pages under /c/<slug>/, accounts under /accounts/, the JSON API under /api/, the admin."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import include, path, re_path

from pvdefects.server import api
from pvdefects.server.accounts import views as accounts
from pvdefects.server.challenges import views as challenges
from pvdefects.server.submissions import views as submissions
from pvdefects.server.teams import views as teams

admin.site.site_header = "pvdefects challenge server: organisers"

urlpatterns = [
    path("", challenges.home, name="home"),
    path("accounts/register/", accounts.register, name="register"),
    path("accounts/verify/<str:uidb64>/<str:token>/", accounts.verify, name="verify"),
    path("accounts/token/", accounts.api_token, name="api-token"),
    path("accounts/", include("django.contrib.auth.urls")),  # login, logout, password reset
    path("c/<slug:slug>/", challenges.detail, name="challenge"),
    path("c/<slug:slug>/team/", teams.team_page, name="team"),
    re_path(
        r"^c/(?P<slug>[-\w]+)/team/(?P<action>create|join|leave|rotate)/$",
        teams.team_action,
        name="team-action",
    ),
    path("c/<slug:slug>/upload/", submissions.upload, name="upload"),
    path("c/<slug:slug>/submissions/", submissions.submission_list, name="submissions"),
    path("c/<slug:slug>/submissions/<int:pk>/", submissions.submission_detail, name="submission"),
    path("c/<slug:slug>/submissions/<int:pk>/select/", submissions.toggle_selection, name="select"),
    path("c/<slug:slug>/leaderboard/", submissions.leaderboard_page, name="leaderboard"),
    path("c/<slug:slug>/final/", submissions.final_page, name="final"),
    path("api/challenges/<slug:slug>/submissions", api.submit, name="api-submit"),
    path("api/challenges/<slug:slug>/leaderboard", api.public_leaderboard, name="api-leaderboard"),
    path("api/challenges/<slug:slug>/final-leaderboard", api.final_leaderboard, name="api-final"),
    path("api/submissions/<int:pk>", api.submission_status, name="api-submission"),
    path("admin/", admin.site.urls),
    # the admin's CSS and JS, served by Django itself: one machine needs no separate web server
    re_path(r"^static/(?P<path>.*)$", serve_static, {"insecure": True}),
]
