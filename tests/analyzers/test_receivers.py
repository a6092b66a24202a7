"""Which method `obj.m()` runs: the code's type evidence, then Django's
conventions, then the name alone, and how each chain step says which it took."""

import textwrap

import pytest
from snippets import fields

from analyzers.records import ChainStep, Reach, Resolution
from analyzers.tree_pass.analyze import analyze_sources, tree_pass
from analyzers.tree_pass.components import ComponentMap

COMPONENTS = """
[project]
package = "django"
tests = "tests"
[modules]
"django.core.cache" = "cache"
"django.db" = "orm"
"django.contrib.sessions" = "sessions"
"django.contrib.auth" = "auth"
"django.app" = "app"
"""

# A small tree laid out like Django, so the conventions' dotted names apply.
DJANGO = {
    "django/__init__.py": "",
    "django/core/cache/__init__.py": """
        from django.core.cache.backends.base import BaseCache

        class CacheHandler:
            def __getitem__(self, alias):
                return BaseCache()

        class ConnectionProxy:
            def __init__(self, handler, alias):
                self.handler = handler

        caches = CacheHandler()
        cache = ConnectionProxy(caches, "default")
    """,
    "django/core/cache/backends/base.py": """
        from asgiref.sync import sync_to_async

        class BaseCache:
            def get(self, key):
                pass

            async def aget(self, key):
                return await sync_to_async(self.get)(key)
    """,
    "django/core/cache/backends/locmem.py": """
        from django.core.cache.backends.base import BaseCache

        class LocMemCache(BaseCache):
            def get(self, key):
                return None
    """,
    "django/db/models/query.py": """
        from asgiref.sync import sync_to_async

        class QuerySet:
            def get(self, **kwargs):
                pass

            async def aget(self, **kwargs):
                return await sync_to_async(self.get)(**kwargs)

            def exists(self):
                pass

            async def aexists(self):
                return await sync_to_async(self.exists)()

            def filter(self, **kwargs):
                return self
    """,
    "django/db/models/manager.py": """
        from django.db.models.query import QuerySet

        class BaseManager:
            @classmethod
            def from_queryset(cls, queryset_class):
                return cls

        class Manager(BaseManager.from_queryset(QuerySet)):
            pass
    """,
    "django/contrib/sessions/backends/base.py": """
        from asgiref.sync import sync_to_async

        class SessionBase:
            def load(self):
                return {}

            async def aload(self):
                return await sync_to_async(self.load)()

            async def aget(self, key):
                return (await self.aload()).get(key)
    """,
    "django/contrib/sessions/backends/db.py": """
        from django.contrib.sessions.backends.base import SessionBase

        class SessionStore(SessionBase):
            async def aload(self):
                return await self.model.objects.aget(session_key=self.key)

            async def aexists(self, key):
                return await self.model.objects.filter(session_key=key).aexists()
    """,
    "django/contrib/sessions/backends/file.py": """
        from django.contrib.sessions.backends.base import SessionBase

        class SessionStore(SessionBase):
            def load(self):
                return {}

            async def aload(self):
                return self.load()
    """,
    "django/contrib/sessions/backends/cache.py": """
        from django.conf import settings
        from django.contrib.sessions.backends.base import SessionBase
        from django.core.cache import caches

        class SessionStore(SessionBase):
            def __init__(self):
                self._cache = caches[settings.SESSION_CACHE_ALIAS]

            async def aload(self):
                return await self._cache.aget(self.key)
    """,
    # Unrelated classes whose methods share the names above.
    "django/app/unrelated.py": """
        from asgiref.sync import sync_to_async

        class Registry:
            def get(self, key):
                pass

            async def aget(self, key):
                return await sync_to_async(self.get)(key)

        class Store:
            async def aload(self):
                return {}

            async def asave(self):
                return None

        class Other:
            def load(self):
                pass

            async def aload(self):
                return await sync_to_async(self.load)()

        store = Store()
    """,
}


def tree(extra: dict[str, str]):
    files = {**DJANGO, **extra}
    results = analyze_sources(
        [(path, textwrap.dedent(code).encode()) for path, code in files.items()]
    )
    assert [r.parse_error for r in results if r.parse_error] == []
    return tree_pass(results, ComponentMap.from_toml(COMPONENTS))


def resolutions(record) -> tuple[tuple[str, Resolution], ...]:
    return tuple((s.target.rsplit(".", 2)[-2:][0], s.resolution) for s in record.steps)


CACHE_GET = (
    ChainStep("django.core.cache.backends.base.BaseCache.aget", Resolution.CONVENTION),
    ChainStep("sync_to_async(get)", Resolution.HOP),
)

RECEIVERS = [
    pytest.param(
        {},
        "django.contrib.sessions.backends.db.SessionStore.aload",
        {
            "reaches": Reach.THREAD,
            "chain": ("SessionStore.aload", "QuerySet.aget", "sync_to_async(get)"),
            "steps": (
                ChainStep(
                    "django.db.models.query.QuerySet.aget", Resolution.CONVENTION
                ),
                ChainStep("sync_to_async(get)", Resolution.HOP),
            ),
            "hops": ("django.db.models.query.QuerySet.aget",),
            "hops_by_name": (),
        },
        id="model-objects-is-a-manager-built-from-queryset",
    ),
    pytest.param(
        {},
        "django.contrib.sessions.backends.db.SessionStore.aexists",
        {
            "chain": (
                "SessionStore.aexists",
                "QuerySet.aexists",
                "sync_to_async(exists)",
            )
        },
        id="queryset-method-chain",
    ),
    pytest.param(
        {},
        "django.contrib.sessions.backends.cache.SessionStore.aload",
        {
            "chain": ("SessionStore.aload", "BaseCache.aget", "sync_to_async(get)"),
            "steps": CACHE_GET,
        },
        id="init-attribute-holds-a-caches-item",
    ),
    pytest.param(
        {
            "django/app/views.py": """
                from django.core.cache import cache

                async def page(key):
                    return await cache.aget(key)
            """
        },
        "django.app.views.page",
        {"chain": ("page", "BaseCache.aget", "sync_to_async(get)"), "steps": CACHE_GET},
        id="module-level-cache-proxy",
    ),
    pytest.param(
        {
            "django/app/views.py": """
                from django.app.unrelated import Other

                class View:
                    def __init__(self):
                        self.backend = Other()

                    async def show(self):
                        return await self.backend.aload()
            """
        },
        "django.app.views.View.show",
        {
            "chain": ("View.show", "Other.aload", "sync_to_async(load)"),
            "steps": (
                ChainStep("django.app.unrelated.Other.aload", Resolution.TYPE),
                ChainStep("sync_to_async(load)", Resolution.HOP),
            ),
        },
        id="init-attribute-holds-an-instance",
    ),
    pytest.param(
        {
            "django/app/views.py": """
                from django.app import unrelated

                class View:
                    store_class = unrelated.Other

                    async def show(self):
                        return await self.store_class().aload()
            """
        },
        "django.app.views.View.show",
        {"chain": ("View.show", "Other.aload", "sync_to_async(load)")},
        id="class-attribute-holds-a-class",
    ),
    pytest.param(
        {
            "django/app/views.py": """
                from django.app.unrelated import Other

                async def show(backend: Other):
                    return await backend.aload()
            """
        },
        "django.app.views.show",
        {"reaches": Reach.THREAD, "hops": ("django.app.unrelated.Other.aload",)},
        id="parameter-annotation",
    ),
    pytest.param(
        {
            "django/app/views.py": """
                from django.app.unrelated import Other

                async def show(backend):
                    if isinstance(backend, Other):
                        return await backend.aload()
            """
        },
        "django.app.views.show",
        {"reaches": Reach.THREAD, "hops": ("django.app.unrelated.Other.aload",)},
        id="isinstance-guard",
    ),
    pytest.param(
        {
            "django/app/views.py": """
                from django.app.unrelated import store

                async def show():
                    return await store.aload()
            """
        },
        "django.app.views.show",
        {"reaches": Reach.LOOP, "hops": (), "hops_by_name": (), "chain": ()},
        id="module-level-instance-not-the-same-named-hop",
    ),
    pytest.param(
        {
            "django/app/views.py": """
                from django.app.unrelated import Store

                async def show():
                    store = Store()
                    return await store.aload()
            """
        },
        "django.app.views.show",
        {"reaches": Reach.LOOP, "hops": (), "hops_by_name": ()},
        id="local-constructor-not-the-same-named-hop",
    ),
    pytest.param(
        {
            "django/app/views.py": """
                from django.app.unrelated import Store

                async def show(store: Store):
                    return await store.aget("key")
            """
        },
        "django.app.views.show",
        {
            "reaches": Reach.UNKNOWN,
            "hops": (),
            "hops_by_name": (),
            "call_steps": {"type": 1},
        },
        id="typed-class-without-the-method-takes-no-stand-in",
    ),
    pytest.param(
        {
            "django/app/views.py": """
                async def show(request):
                    return await request.session.aget("key")
            """
        },
        "django.app.views.show",
        {
            "chain": (
                "show",
                "SessionBase.aget",
                "SessionStore.aload",
                "QuerySet.aget",
                "sync_to_async(get)",
            ),
            "hops": ("django.db.models.query.QuerySet.aget",),
        },
        id="request-session-by-convention-then-default-store",
    ),
    pytest.param(
        {
            "django/app/views.py": """
                from elsewhere import make

                async def show():
                    thing = make()
                    return await thing.aexists()
            """
        },
        "django.app.views.show",
        {
            "reaches": Reach.UNKNOWN,
            "hops": (),
            "hops_by_name": ("django.db.models.query.QuerySet.aexists",),
            "call_steps": {"name": 1},
        },
        id="untyped-object-by-name-kept-apart",
    ),
]


MANAGERS = {
    "django/app/models.py": """
        from asgiref.sync import sync_to_async
        from django.db.models.manager import Manager

        class UserManager(Manager):
            def get_by_natural_key(self, key):
                pass

            async def aget_by_natural_key(self, key):
                return await sync_to_async(self.get_by_natural_key)(key)

        class GroupManager(Manager):
            async def aget_by_natural_key(self, key):
                return await self.aget(name=key)

        class User:
            objects = UserManager()
    """,
    "django/app/auth.py": """
        from django.app.models import User

        async def login(key):
            return await User._default_manager.aget_by_natural_key(key)
    """,
}

RECEIVERS.append(
    pytest.param(
        MANAGERS,
        "django.app.auth.login",
        {
            "chain": (
                "login",
                "UserManager.aget_by_natural_key",
                "sync_to_async(get_by_natural_key)",
            ),
            "steps": (
                ChainStep(
                    "django.app.models.UserManager.aget_by_natural_key",
                    Resolution.CONVENTION,
                ),
                ChainStep("sync_to_async(get_by_natural_key)", Resolution.HOP),
            ),
        },
        id="default-manager-is-the-declared-objects-not-any-manager",
    )
)


@pytest.mark.parametrize(("extra", "full_name", "expected"), RECEIVERS)
def test_receiver(extra, full_name, expected):
    """A receiver is typed from the code first, then by convention; a
    same-named method elsewhere is taken only when nothing types it."""
    record = tree(extra).function(full_name, is_async=True)
    assert fields(record, expected) == expected


def test_name_only_step_names_its_candidates():
    """A step resolved by name says so and lists every candidate."""
    record = tree(
        {
            "django/app/views.py": """
                from elsewhere import make

                async def show():
                    return await make().aget("key")
            """
        }
    ).function("django.app.views.show", is_async=True)
    first = record.steps[0]
    assert first.resolution is Resolution.NAME
    assert set(first.candidates) == {
        "django.app.unrelated.Registry.aget",
        "django.contrib.sessions.backends.base.SessionBase.aget",
        "django.core.cache.backends.base.BaseCache.aget",
        "django.db.models.query.QuerySet.aget",
    }


def test_boundary_counts_resolved_steps_and_lists_name_only_apart():
    """A component reached only through a name-only step is listed apart."""
    result = tree(
        {
            "django/app/views.py": """
                from django.core.cache import cache
                from elsewhere import make

                async def cached(key):
                    return await cache.aget(key)

                async def guessed():
                    return await make().aexists()
            """
        }
    )
    app = result.component("app")
    assert app.boundary == ("app", "cache")  # Registry.aget hops in app
    assert app.boundary_by_name == ("orm",)
    assert app.call_steps == {"convention": 1, "name": 1}


DEFAULTS = [
    pytest.param(
        "django.contrib.sessions.backends.base.SessionBase.aget",
        {
            "target": "django.contrib.sessions.backends.db.SessionStore.aload",
            "default": True,
            "candidates": (
                "django.contrib.sessions.backends.base.SessionBase.aload",
                "django.contrib.sessions.backends.cache.SessionStore.aload",
                "django.contrib.sessions.backends.db.SessionStore.aload",
                "django.contrib.sessions.backends.file.SessionStore.aload",
            ),
        },
        id="base-class-call-runs-the-default-store",
    ),
]


@pytest.mark.parametrize(("full_name", "expected"), DEFAULTS)
def test_default_configuration(full_name, expected):
    """A call that may reach any configured backend follows the default one;
    the others stay listed as candidates of the step."""
    record = tree({}).function(full_name, is_async=True)
    step = record.steps[0]
    assert fields(step, expected) == expected
    assert record.hops == ("django.db.models.query.QuerySet.aget",)


def test_a_non_default_store_keeps_its_own_methods():
    """The file store is not the default: its own self-calls stay its own, and
    its async face over `load` runs on the loop."""
    record = tree(
        {
            "django/contrib/sessions/backends/file.py": """
                from django.contrib.sessions.backends.base import SessionBase

                class SessionStore(SessionBase):
                    def load(self):
                        return {}

                    async def aload(self):
                        return self.load()

                    async def aget(self, key):
                        return (await self.aload()).get(key)
            """
        }
    ).function("django.contrib.sessions.backends.file.SessionStore.aget", is_async=True)
    assert record.reaches is Reach.LOOP
    assert record.hops == () and record.steps == ()
