"""Registration: e-mail, display name, optional student id and a password (Django's validators)."""

from __future__ import annotations

from django.contrib.auth.forms import BaseUserCreationForm

from pvdefects.server.accounts.models import User


class RegistrationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name", "student_id")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email=email).exists():
            self.add_error(
                "email", "An account with this e-mail address exists; log in or reset its password."
            )
        return email
