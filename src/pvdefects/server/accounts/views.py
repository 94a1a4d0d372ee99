"""Registration with e-mail verification, and the API token page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from pvdefects.server.accounts.forms import RegistrationForm
from pvdefects.server.accounts.models import ApiToken, User

BACKEND = "django.contrib.auth.backends.ModelBackend"


def register(request: HttpRequest) -> HttpResponse:
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.is_active = settings.EMAIL_VERIFICATION != "required"
        user.save()
        if user.is_active:
            login(request, user, backend=BACKEND)
            return redirect("home")
        link = request.build_absolute_uri(
            reverse(
                "verify",
                args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)],
            )
        )
        send_mail(
            "Confirm your e-mail address",
            f"Hello {user.display_name},\n\nopen this link to activate your account:\n\n{link}\n",
            None,
            [user.email],
        )
        return render(request, "accounts/check_mail.html", {"email": user.email})
    return render(request, "accounts/register.html", {"form": form})


def verify(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    try:
        user = User.objects.get(pk=int(urlsafe_base64_decode(uidb64)))
    except (ValueError, User.DoesNotExist):
        user = None
    if user is None or not default_token_generator.check_token(user, token):
        return render(request, "accounts/verify_failed.html", status=400)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    login(request, user, backend=BACKEND)
    messages.success(request, "Your e-mail address is confirmed; welcome.")
    return redirect("home")


@login_required
def api_token(request: HttpRequest) -> HttpResponse:
    """GET: whether a token exists; POST: issue a new one (shown once; the old one stops working)."""
    key = ApiToken.objects.issue(request.user) if request.method == "POST" else None
    has_token = ApiToken.objects.filter(user=request.user).exists()
    return render(request, "accounts/token.html", {"key": key, "has_token": has_token})
