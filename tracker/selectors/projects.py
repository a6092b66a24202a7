"""Reads about the tracked projects: one by its slug, and the home page's
table of every project's headline figures side by side."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from analyzers.records import Relation
from tracker.models import PairDrift, Project, Release, TwinPairStat
from tracker.selectors.releases import release_figures, release_get


def project_get(*, slug: str) -> Project | None:
    return Project.objects.filter(slug=slug).first()


def project_list() -> list[Project]:
    """Every tracked project, by name: the project switcher's choices."""
    return list(Project.objects.order_by("name", "slug"))


@dataclass(frozen=True)
class ProjectRow:
    """A project's headline figures in its newest release (None: no release
    scanned yet), as the home page and `/api/v1/projects` show them."""

    project: Project
    newest: Release | None
    releases: int = 0
    public_async: int = 0
    twin_pairs: int = 0
    duplicated_lines: int = 0
    derivable_pairs: int = 0
    one_sided: int = 0

    @property
    def derivable_share(self) -> float | None:
        """Derivable twin pairs over all twin pairs; None without pairs."""
        return self.derivable_pairs / self.twin_pairs if self.twin_pairs else None


def project_rows() -> list[ProjectRow]:
    """Each project with the figures of its newest release (snapshots left
    out): a few queries a project, and there are a handful of projects."""
    counts = dict(
        Release.objects.filter(is_snapshot=False)
        .values("project")
        .annotate(n=Count("pk"))
        .values_list("project", "n")
    )
    rows = []
    for project in project_list():
        newest = release_get(project=project)
        if newest is None:
            rows.append(ProjectRow(project=project, newest=None))
            continue
        pairs = TwinPairStat.objects.filter(release=newest).aggregate(
            n=Count("pk"),
            lines=Sum("duplicated_lines", default=0),
            derivable=Count("pk", filter=Q(relation=Relation.DERIVABLE)),
        )
        rows.append(
            ProjectRow(
                project=project,
                newest=newest,
                releases=counts.get(project.pk, 0),
                public_async=release_figures(release=newest)["public_async"],
                twin_pairs=pairs["n"],
                duplicated_lines=pairs["lines"],
                derivable_pairs=pairs["derivable"],
                one_sided=PairDrift.objects.filter(
                    release=newest, one_sided=True
                ).count(),
            )
        )
    return rows
