"""The admin: projects are added and edited here as with `add_project`,
through the same checks; releases and scans are read-only records."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from tracker.models import Project, Release, Scan
from tracker.projects import project_check

_CHECKED = (
    "slug",
    "name",
    "git_url",
    "pypi_package",
    "package_dir",
    "tests_dir",
    "component_map",
    "release_tag_pattern",
    "min_version",
)


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = (*_CHECKED, "main_branch")

    def clean(self):
        cleaned = super().clean()
        candidate = Project(**{f: cleaned.get(f, "") for f in _CHECKED})
        try:
            project_check(candidate)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                if field in self.fields:
                    self.add_error(field, messages)
        return cleaned


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    form = ProjectForm
    list_display = ("slug", "name", "pypi_package", "git_url", "min_version")
    search_fields = ("slug", "name")


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Release)
class ReleaseAdmin(ReadOnly):
    list_display = ("project", "version", "is_feature", "is_snapshot", "scanned_at")
    list_filter = ("project", "is_feature", "is_snapshot")


@admin.register(Scan)
class ScanAdmin(ReadOnly):
    list_display = ("project", "version", "status", "trigger", "created_at")
    list_filter = ("project", "status")
