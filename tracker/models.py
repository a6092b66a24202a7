"""What the scan pipeline stores: projects, releases, the per-blob cache, scans.

A release and everything under it (files, components, functions, twin pairs,
drift, test counts) is written in one transaction when its scan finalises, so
nobody ever sees a half-written release.
"""

from __future__ import annotations

import enum

from django.db import models
from django.db.models import Q

from analyzers.records import Convention, Kind, Reach, Relation, Stage
from tracker import versions


def choices(values: type[enum.StrEnum]) -> list[tuple[str, str]]:
    """Model choices from one of the analyzer's enums: declared once, there."""
    return [(member.value, member.value) for member in values]


def enum_field(values: type[enum.StrEnum], **kwargs) -> models.CharField:
    """A column for one of the analyzer's enums, as wide as its longest value.

    SQLite ignores widths; PostgreSQL refuses a longer value at finalise. A
    new, longer value changes the width, so `makemigrations --check` (and
    tests/tracker/test_models.py) catch a forgotten migration.
    """
    width = max(len(member.value) for member in values)
    return models.CharField(max_length=width, choices=choices(values), **kwargs)


class Project(models.Model):
    """A tracked repository. Nothing in the pipeline assumes Django beyond this."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    git_url = models.CharField(
        max_length=500, blank=True, help_text="https:// URL or local path of the repo"
    )
    pypi_package = models.CharField(
        max_length=100, blank=True, help_text="builds the mirror from sdists instead"
    )
    package_dir = models.CharField(max_length=100)
    tests_dir = models.CharField(max_length=100, blank=True)
    component_map = models.TextField(
        blank=True,
        help_text="the project's settings (TOML: its component map, twin layouts,"
        " renames, bridges); empty: the defaults for its package",
    )
    release_tag_pattern = models.CharField(
        max_length=200, default=versions.RELEASE_PATTERN
    )
    min_version = models.CharField(max_length=20, default="3.0")
    main_branch = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="the branch weekly snapshots scan; blank: the repository's"
        " default branch (its HEAD)",
    )

    def __str__(self) -> str:
        return self.name

    @property
    def folders(self) -> tuple[str, ...]:
        return tuple(f for f in (self.package_dir, self.tests_dir) if f)


class Release(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    version = models.CharField(max_length=40)
    version_key = models.CharField(max_length=60, editable=False)
    tag = models.CharField(max_length=100)
    commit = models.CharField(max_length=40)
    date = models.DateTimeField(null=True)
    is_feature = models.BooleanField(help_text="X.Y, not a point release X.Y.Z")
    is_snapshot = models.BooleanField(default=False, help_text="a weekly main")
    analyzer_version = models.CharField(max_length=20)
    previous = models.ForeignKey(
        "self", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    files = models.PositiveIntegerField(default=0)
    parse_errors = models.PositiveIntegerField(default=0)
    scanned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "version_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "version"], name="one_release_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.slug} {self.version}"

    def save(self, *args, **kwargs):
        self.version_key = versions.sort_key(self.version)
        super().save(*args, **kwargs)


class FileAnalysis(models.Model):
    """The per-file result, cached by content: analysed once across releases.

    The key holds the path too: a result names its module (qualified names,
    relative imports), so a moved file is analysed again.
    """

    blob_sha = models.CharField(max_length=40)
    path = models.TextField()
    analyzer_version = models.CharField(max_length=20)
    result = models.JSONField()
    parse_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["blob_sha", "path", "analyzer_version"],
                name="one_result_per_blob",
            )
        ]

    def __str__(self) -> str:
        return f"{self.path}@{self.blob_sha[:10]} (analyzer {self.analyzer_version})"


class ReleaseFile(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE)
    path = models.TextField()
    blob_sha = models.CharField(max_length=40)
    parse_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.release} {self.path}"


class ComponentStat(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE)
    name = models.TextField()
    stage = enum_field(Stage)
    public_async = models.PositiveIntegerField()
    async_twins = models.PositiveIntegerField()
    duplicated_lines = models.PositiveIntegerField()
    summary = models.JSONField(help_text="the analyzer's whole ComponentSummary")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["release", "name"], name="one_component_per_release"
            )
        ]

    def __str__(self) -> str:
        return f"{self.release} {self.name}: {self.stage}"


class FunctionStat(models.Model):
    """One function of a release: "what is X in release Y" is one indexed row."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE)
    module = models.TextField()
    qualname = models.TextField()
    # The file it is in: a module `x.py` and a package `x/__init__.py` both
    # define module `x` (empty in rows written before it was kept).
    path = models.TextField(blank=True, default="")
    component = models.TextField()
    kind = enum_field(Kind)
    is_async = models.BooleanField()
    public = models.BooleanField()
    reaches = enum_field(Reach, blank=True)
    twin = models.TextField(blank=True)
    first_line = models.PositiveIntegerField()
    last_line = models.PositiveIntegerField()
    loc = models.PositiveIntegerField()
    # Identity across releases: (module, qualname, is_async, variant); two
    # defs of one name in the branches of an `if` are two functions.
    variant = models.PositiveSmallIntegerField(default=0)
    closure = models.BooleanField(
        default=False, help_text="defined inside a function: never an API"
    )
    thread_hops = models.PositiveIntegerField(default=0)
    hops_fewest = models.PositiveIntegerField(
        default=0, help_text="thread hops on its paths: fewest"
    )
    hops_most = models.PositiveIntegerField(
        default=0, help_text="thread hops on its paths: most"
    )
    unknown_calls = models.JSONField(
        default=list, help_text="its awaits the analyzer could not follow"
    )
    passes_through = models.JSONField(
        default=list, help_text="callables handed in by its caller that it calls"
    )
    concurrent = models.BooleanField(default=False)
    missing_twin = models.BooleanField(default=False)
    blocking = models.JSONField(default=list)
    hops = models.JSONField(default=list, help_text="hops reached by resolved calls")
    hops_by_name = models.JSONField(
        default=list, help_text="hops reached only through a call matched by name"
    )
    chain = models.JSONField(default=list)
    # How each link of the chain was resolved: steps[i] leads to chain[i + 1],
    # as the analyzer's ChainStep (target, resolution, candidates, default).
    steps = models.JSONField(default=list)
    call_steps = models.JSONField(
        default=dict, help_text="its awaited calls by how they were resolved"
    )

    class Meta:
        indexes = [models.Index(fields=["release", "module", "qualname"])]

    def __str__(self) -> str:
        return f"{self.release} {self.module}.{self.qualname}"


class TwinPairStat(models.Model):
    release = models.ForeignKey(Release, on_delete=models.CASCADE)
    module = models.TextField(help_text="the async side's module")
    # A pair across twin modules (httpcore._sync.http11 for _async.http11):
    # the sync side's module; "" when it is `module`.
    sync_module = models.TextField(blank=True, default="")
    sync_qualname = models.TextField()
    async_qualname = models.TextField()
    component = models.TextField()
    convention = enum_field(Convention)
    relation = enum_field(Relation)
    similarity = models.FloatField()
    duplicated_lines = models.PositiveIntegerField()
    sync_hash = models.CharField(max_length=40)
    async_hash = models.CharField(max_length=40)
    generated_side = models.CharField(
        max_length=5,
        blank=True,
        default="",
        choices=[("sync", "sync"), ("async", "async")],
        help_text='the side a header comment marks as generated: "sync", "async"',
    )
    # A pair across twin modules is the tree pass's, in no file's cached
    # result: what differs once normalised is kept here (renames,
    # sync_only_lines, async_only_lines); {} for a pair within one module.
    leftover = models.JSONField(
        default=dict,
        blank=True,
        help_text="a pair across twin modules: its renames and leftover lines",
    )

    class Meta:
        indexes = [models.Index(fields=["release", "module", "async_qualname"])]

    def __str__(self) -> str:
        return f"{self.release} {self.module}.{self.async_qualname}"

    @property
    def sync_module_name(self) -> str:
        return self.sync_module or self.module


class PairDrift(models.Model):
    """How a twin pair changed since the previous release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE)
    previous = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="+")
    module = models.TextField()
    sync_module = models.TextField(blank=True, default="")  # as TwinPairStat's
    sync_qualname = models.TextField()
    async_qualname = models.TextField()
    component = models.TextField()
    sync_changed = models.BooleanField()
    async_changed = models.BooleanField()
    previous_relation = enum_field(Relation)
    relation = enum_field(Relation)
    one_sided = models.BooleanField(
        help_text="one side changed while the pair was derivable or a near-copy"
    )

    class ChangeClass(models.TextChoices):
        """What a one-sided change is (scanning/one_sided.py: CHANGE_CLASS_RULE)."""

        MISSED_PORT = "possible missed port", "possible missed port"
        ASYNC_SPECIFIC = "async-specific", "async-specific"
        THIS_SIDE_ONLY = "this side only", "this side only"

    # "" when not one-sided, or when its source could not be read.
    change_class = models.CharField(
        max_length=20, blank=True, choices=ChangeClass.choices
    )
    changed_lines = models.JSONField(
        default=list, help_text='the changed side\'s lines, "-old" and "+new"'
    )

    def __str__(self) -> str:
        return (
            f"{self.release} {self.module}.{self.async_qualname} since {self.previous}"
        )

    @property
    def sync_module_name(self) -> str:
        return self.sync_module or self.module


class SuiteStat(models.Model):
    """Test counts of one component in the tests folder of a release."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE)
    component = models.TextField()
    tests = models.PositiveIntegerField()
    async_tests = models.PositiveIntegerField()
    async_tests_with_sync_twin = models.PositiveIntegerField()
    doubled = models.JSONField(
        default=list, help_text="[async test, its sync twin] full names"
    )

    def __str__(self) -> str:
        return f"{self.release} tests of {self.component}"


class Scan(models.Model):
    class Trigger(models.TextChoices):
        WEEKLY = "weekly"
        MANUAL = "manual"
        COMMAND = "command"

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    version = models.CharField(max_length=40)
    ref = models.CharField(max_length=100, help_text="the tag, or the branch")
    commit = models.CharField(max_length=40, blank=True)
    commit_date = models.DateTimeField(null=True)
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    force = models.BooleanField(default=False)
    release = models.ForeignKey(Release, null=True, on_delete=models.SET_NULL)
    blobs_total = models.PositiveIntegerField(default=0)
    blobs_cached = models.PositiveIntegerField(default=0)
    blobs_analysed = models.PositiveIntegerField(default=0)
    parse_failures = models.PositiveIntegerField(default=0)
    list_seconds = models.FloatField(default=0)
    finalise_seconds = models.FloatField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            # A second request for a release being scanned joins the first.
            models.UniqueConstraint(
                fields=["project", "version"],
                condition=Q(status__in=["queued", "running"]),
                name="one_active_scan_per_version",
            )
        ]

    def __str__(self) -> str:
        return f"scan {self.pk} of {self.project.slug} {self.version} ({self.status})"
