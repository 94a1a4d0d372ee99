"""The user (e-mail login, display name, optional student id) and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A participant or organiser (``is_staff``: may use the admin and run challenges)."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=80)
    student_id = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)  # False until the e-mail address is verified
    is_staff = models.BooleanField(default=False, help_text="Organiser: may use the admin.")
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["display_name"]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.email}>"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenManager(models.Manager):
    def issue(self, user: User) -> str:
        """A new token for ``user``, replacing any old one; only its SHA-256 is stored."""
        key = secrets.token_urlsafe(32)
        self.update_or_create(user=user, defaults={"digest": _digest(key), "created": timezone.now()})
        return key

    def user_for(self, key: str) -> User | None:
        token = self.select_related("user").filter(digest=_digest(key), user__is_active=True).first()
        return token.user if token else None


class ApiToken(models.Model):
    """One bearer token per user for the JSON API (``Authorization: Token <key>``)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)

    objects = ApiTokenManager()
