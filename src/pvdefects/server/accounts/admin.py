from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from pvdefects.server.accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "display_name", "student_id", "is_active", "is_staff")
    search_fields = ("email", "display_name", "student_id")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("display_name", "student_id")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
    )
    add_fieldsets = ((None, {"fields": ("email", "display_name", "password1", "password2")}),)
