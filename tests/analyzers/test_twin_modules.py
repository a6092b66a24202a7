"""Twin pairs across twin modules: which module is whose twin, which defs pair,
and how alike their bodies are once the project's renames are applied."""

import textwrap

import pytest

from analyzers import load_project_config
from analyzers.conventions import load_conventions
from analyzers.file_pass.analyze import analyze_file
from analyzers.file_pass.names import module_name
from analyzers.tree_pass.analyze import tree_pass

# Path rules -----------------------------------------------------------------
# (a module's path, its sync twin's path by the default layouts, or None)
PATHS = [
    ("httpcore/_async/http11.py", "httpcore/_sync/http11.py"),
    ("elasticsearch/_async/client/indices.py", "elasticsearch/_sync/client/indices.py"),
    ("pymongo/asynchronous/collection.py", "pymongo/synchronous/collection.py"),
    ("redis/asyncio/client.py", "redis/client.py"),
    ("redis/asyncio/cluster/nodes.py", "redis/cluster/nodes.py"),
    ("kafka/aio/producer.py", "kafka/producer.py"),
    ("psycopg/cursor_async.py", "psycopg/cursor.py"),
    ("psycopg/_copy_async.py", "psycopg/_copy.py"),
    ("psycopg_pool/pool_async.py", "psycopg_pool/pool.py"),
    ("azure/storage/blob/aio/_lease_async.py", "azure/storage/blob/_lease.py"),
    # Google's generated clients (gapic).
    (
        "google/cloud/x_v1/services/x/async_client.py",
        "google/cloud/x_v1/services/x/client.py",
    ),
    (
        "google/cloud/x_v1/services/x/transports/grpc_asyncio.py",
        "google/cloud/x_v1/services/x/transports/grpc.py",
    ),
    # A module prefix only where no other rule applies: the client of
    # elasticsearch's "async search" API is `async_search.py` on both sides.
    (
        "elasticsearch/_async/client/async_search.py",
        "elasticsearch/_sync/client/async_search.py",
    ),
    # Negative: what only looks like a layout.
    ("django/utils/asyncio.py", None),  # a module named asyncio, no folder
    ("pkg/_async.py", None),  # the suffix alone is no module name
    ("pkg/async_helpers/x.py", None),
    ("pkg/_sync/http11.py", None),  # the sync side has no twin of its own
    ("pkg/asyncio_compat/x.py", None),
    ("pkg/x_async_utils.py", None),
]


@pytest.mark.parametrize(("path", "twin"), PATHS)
def test_the_sync_twin_of_a_module(path, twin):
    assert load_conventions().sync_twin_path(path) == twin


# (a class of an async twin module, its name in the sync module)
CLASSES = [
    ("AsyncConnectionPool", "ConnectionPool"),
    ("_AsyncBulk", "_Bulk"),  # pymongo: leading underscores kept aside
    ("__AsyncX", "__X"),
    ("SecretManagerServiceAsyncClient", "SecretManagerServiceClient"),
    ("SecretManagerServiceGrpcAsyncIOTransport", "SecretManagerServiceGrpcTransport"),
    ("_LoggingClientAIOInterceptor", "_LoggingClientInterceptor"),
    # Negative: no marker at a word's start, or nothing after it.
    ("Asynchronous", "Asynchronous"),
    ("SyncToAsync", "SyncToAsync"),
    ("Asyncio", "Asyncio"),
    ("_Async", "_Async"),
    ("ClientAsyncio", "ClientAsyncio"),
]


@pytest.mark.parametrize(("name", "sync"), CLASSES)
def test_a_class_of_an_async_twin_module_as_its_sync_twin_names_it(name, sync):
    assert load_conventions().sync_class_name(name) == sync


def test_a_project_layout_comes_before_the_defaults():
    config = load_project_config(
        '[[twins.layouts]]\nfrom_dir = "lib/aio"\nto_dir = "lib/blocking"\n',
        package="lib",
    )
    assert config.conventions.sync_twin_path("lib/aio/x.py") == "lib/blocking/x.py"
    assert config.conventions.sync_twin_path("lib/sub/aio/x.py") == "lib/sub/x.py"


# Pairing across modules -----------------------------------------------------
def analyse(
    tree: dict[str, str],
    config_text: str = "",
    package: str = "pkg",
    *,
    reader: bool = False,
):
    """The tree's files through both passes; `reader`: the tree pass may read
    a sync module whose path does not mark it, as analyze_tree lets it."""
    config = load_project_config(config_text, package=package)
    files = [
        analyze_file(
            textwrap.dedent(code).encode(),
            module=module_name(path),
            path=path,
            conventions=config.conventions,
        )
        for path, code in tree.items()
    ]
    read = (lambda path: textwrap.dedent(tree[path]).encode()) if reader else None
    return tree_pass(files, config, read_source=read)


def pairs_of(result) -> dict[str, tuple[str, str, str]]:
    """async full name -> (sync full name, relation, generated side), across
    modules only."""
    return {
        f"{p.module}.{p.async_qualname}": (
            p.sync_full_name,
            str(p.relation),
            p.generated_side,
        )
        for p in result.pairs
        if p.sync_module
    }


ASYNC_A = "class AsyncA:\n    async def get(self):\n        pass\n"
ASYNC_POOL = """
    from .http2 import AsyncHTTP2Connection

    class AsyncConnectionPool:
        async def handle_async_request(self, request):
            connection = AsyncHTTP2Connection(request.url)
            return await connection.handle_async_request(request)

        async def aclose(self):
            await self._close_connections()

        async def _close_connections(self):
            for connection in self._connections:
                await connection.aclose()

        async def __aenter__(self):
            return self

        async def request(self, request):
            return await self.handle_async_request(request)

        class AsyncPoolRequest:
            async def wait(self):
                await self._event.wait()
"""
SYNC_POOL = """
    from .http2 import HTTP2Connection

    class ConnectionPool:
        def handle_request(self, request):
            connection = HTTP2Connection(request.url)
            return connection.handle_request(request)

        def close(self):
            self._close_connections()

        def _close_connections(self):
            for connection in self._connections:
                connection.close()

        def __enter__(self):
            return self

        def request(self, request):
            return self.handle_request(request)

        class PoolRequest:
            def wait(self):
                self._event.wait()
"""
HTTPCORE_RENAMES = '[renames]\n"handle_async_request" = "handle_request"\n'


def test_an_unasync_layout_pairs_every_async_def_with_its_generated_twin():
    result = analyse(
        {
            "pkg/__init__.py": "",
            "pkg/_async/pool.py": ASYNC_POOL,
            "pkg/_sync/pool.py": SYNC_POOL,
        },
        HTTPCORE_RENAMES,
    )
    sync = "pkg._sync.pool.ConnectionPool"
    assert pairs_of(result) == {
        "pkg._async.pool.AsyncConnectionPool.handle_async_request": (
            f"{sync}.handle_request",
            "derivable",
            "",
        ),
        "pkg._async.pool.AsyncConnectionPool.aclose": (
            f"{sync}.close",
            "derivable",
            "",
        ),
        "pkg._async.pool.AsyncConnectionPool._close_connections": (
            f"{sync}._close_connections",
            "derivable",
            "",
        ),
        "pkg._async.pool.AsyncConnectionPool.__aenter__": (
            f"{sync}.__enter__",
            "derivable",
            "",
        ),
        "pkg._async.pool.AsyncConnectionPool.request": (
            f"{sync}.request",
            "derivable",
            "",
        ),
        # A nested class: AsyncX reads X at every level of the qualname.
        "pkg._async.pool.AsyncConnectionPool.AsyncPoolRequest.wait": (
            f"{sync}.PoolRequest.wait",
            "derivable",
            "",
        ),
    }
    aclose = result.function("pkg._async.pool.AsyncConnectionPool.aclose")
    assert aclose.twin == f"{sync}.close"
    (component,) = [c for c in result.components if c.name == "_sync"]
    assert component.pairs_by_relation == {"derivable": 6}


def test_a_project_layout_names_the_generated_side_a_header_does_not():
    """unasync writes httpcore's `_sync/` without a header comment."""
    layout = (
        '[[twins.layouts]]\nfrom_dir = "pkg/_async"\nto_dir = "pkg/_sync"\n'
        'generated = "sync"\n'
    )
    result = analyse(
        {"pkg/_async/pool.py": ASYNC_POOL, "pkg/_sync/pool.py": SYNC_POOL},
        HTTPCORE_RENAMES + layout,
    )
    assert {side for _, _, side in pairs_of(result).values()} == {"sync"}


def test_without_the_project_rename_the_renamed_call_differs():
    result = analyse(
        {"pkg/_async/pool.py": ASYNC_POOL, "pkg/_sync/pool.py": SYNC_POOL},
    )
    found = pairs_of(result)
    # Paired by the infix rule all the same, and a pair's own names are
    # renamed in its bodies; another def's call of it still differs.
    handle = found["pkg._async.pool.AsyncConnectionPool.handle_async_request"]
    assert handle[1] == "derivable"
    request = found["pkg._async.pool.AsyncConnectionPool.request"]
    assert request[1] == "divergent"


PSYCOPG_ASYNC = """
    class AsyncCursor:
        async def execute(self, query):
            async with self._conn.lock:
                await self._conn.wait(self._execute_gen(query))
            return self

        @overload
        async def fetchone(self, n: int) -> int: ...
        @overload
        async def fetchone(self, n: str) -> str: ...
        async def fetchone(self, n):
            await self._fetch_pipeline()
            return self._rows.pop()
"""
PSYCOPG_SYNC = """
    # WARNING: this file is auto-generated by 'async_to_sync.py'
    # from the original file 'cursor_async.py'
    # DO NOT CHANGE! Change the original file instead.
    class Cursor:
        def execute(self, query):
            with self._conn.lock:
                self._conn.wait(self._execute_gen(query))
            return self

        @overload
        def fetchone(self, n: int) -> int: ...
        @overload
        def fetchone(self, n: str) -> str: ...
        def fetchone(self, n):
            self._fetch_pipeline()
            return self._rows.pop()
"""


def test_a_generated_module_by_suffix_is_paired_and_marked_generated():
    result = analyse(
        {
            "psycopg/cursor_async.py": PSYCOPG_ASYNC,
            "psycopg/cursor.py": PSYCOPG_SYNC,
        },
        package="psycopg",
    )
    assert pairs_of(result) == {
        "psycopg.cursor_async.AsyncCursor.execute": (
            "psycopg.cursor.Cursor.execute",
            "derivable",
            "sync",
        ),
        # The overload stubs are skipped: the implementations pair.
        "psycopg.cursor_async.AsyncCursor.fetchone": (
            "psycopg.cursor.Cursor.fetchone",
            "derivable",
            "sync",
        ),
    }
    fetchone = [
        (f.overload, f.twin)
        for f in result.functions
        if f.qualname == "AsyncCursor.fetchone"
    ]
    assert fetchone == [
        (True, ""),
        (True, ""),
        (False, "psycopg.cursor.Cursor.fetchone"),
    ]


# Negative cases: no pair across modules that are not twins.
NO_PAIRS = [
    pytest.param(
        {
            "pkg/client.py": "class Client:\n    def get(self):\n        pass\n",
            "pkg/other_async.py": (
                "class AsyncClient:\n    async def get(self):\n        pass\n"
            ),
        },
        id="unrelated-module-with-the-same-class",
    ),
    pytest.param(
        {
            "pkg/_async/a.py": ASYNC_A,
            "pkg/_sync/b.py": "class A:\n    def get(self):\n        pass\n",
        },
        id="twin-folders-but-another-module",
    ),
    pytest.param(
        {
            "pkg/_async/a.py": ASYNC_A,
            "pkg/_sync/a.py": "class B:\n    def get(self):\n        pass\n",
        },
        id="another-class",
    ),
    pytest.param(
        {
            "pkg/_async/a.py": "async def fetch():\n    pass\n",
            "pkg/_sync/a.py": "async def fetch():\n    pass\n",
        },
        id="both-sides-async",
    ),
    pytest.param(
        {
            "pkg/_async/a.py": "async def fetch():\n    pass\n",
            "pkg/_sync/a.py": "class C:\n    def fetch(self):\n        pass\n",
        },
        id="a-function-and-a-method",
    ),
]


@pytest.mark.parametrize("tree", NO_PAIRS)
def test_no_pair_across_modules_that_are_not_twins(tree):
    assert pairs_of(analyse(tree)) == {}


def test_a_def_paired_in_its_own_module_keeps_that_twin():
    result = analyse(
        {
            "pkg/x_async.py": (
                "class C:\n    def get(self):\n        pass\n"
                "    async def aget(self):\n        pass\n"
            ),
            "pkg/x.py": "class C:\n    def get(self):\n        pass\n",
        }
    )
    assert pairs_of(result) == {}
    assert result.function("pkg.x_async.C.aget").twin == "C.get"


def test_a_sync_module_its_path_does_not_mark_is_read_when_a_reader_is_given():
    """redis/client.py is no twin module by its own path: its result keeps
    no text, the tree pass reads it."""
    tree = {
        "redis/client.py": "class Redis:\n    def get(self, k):\n        return k\n",
        "redis/asyncio/client.py": (
            "class Redis:\n    async def get(self, k):\n        return k\n"
        ),
    }
    config = load_project_config(None, package="redis")
    files = [
        analyze_file(textwrap.dedent(code).encode(), module=module_name(p), path=p)
        for p, code in tree.items()
    ]
    assert not files[0].twin_source and files[1].twin_source
    without = tree_pass(files, config)
    assert pairs_of(without) == {}
    assert without.extra["twin_modules_without_text"] == [
        "redis/asyncio/client.py -> redis/client.py"
    ]
    read = tree_pass(files, config, read_source=lambda p: tree[p].encode())
    assert pairs_of(read) == {
        "redis.asyncio.client.Redis.get": ("redis.client.Redis.get", "derivable", "")
    }


# Generated headers ------------------------------------------------------------
HEADERS = [
    ("# WARNING: this file is auto-generated by 'async_to_sync.py'\n", True),
    ("# This file was generated from foo_async.py by unasync\n", True),
    ("# Code generated by protoc. DO NOT EDIT.\n", True),
    ("#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n", False),
    ('"""Do not edit the settings below unless you know why."""\n', False),
    ("x = 1\n" * 40 + "# DO NOT EDIT\n", False),  # past the header
]


@pytest.mark.parametrize(("header", "generated"), HEADERS)
def test_a_generated_file_is_known_by_its_header(header, generated):
    result = analyze_file(
        (header + "def f():\n    pass\n").encode(), module="pkg.m", path="pkg/m.py"
    )
    assert result.generated is generated


# A project's renames within one module --------------------------------------
IN_ONE_MODULE = """
    class Pool:
        def get(self, url):
            from .http2 import HTTP2Connection

            return HTTP2Connection(url).fetch()

        async def aget(self, url):
            from .http2 import AsyncHTTP2Connection

            return await AsyncHTTP2Connection(url).afetch()
"""


@pytest.mark.parametrize(
    ("config_text", "relation"),
    [
        ('[renames]\n"AsyncHTTP2Connection" = "HTTP2Connection"\n', "derivable"),
        ("", "divergent"),
    ],
    ids=["with-the-project-rename", "without"],
)
def test_project_renames_apply_in_bodies_and_imports(config_text, relation):
    """`from .http2 import AsyncHTTP2Connection` and its use in the body
    read as the sync spelling, so the pair is derivable."""
    config = load_project_config(config_text, package="pkg")
    result = analyze_file(
        textwrap.dedent(IN_ONE_MODULE).encode(),
        module="pkg.pool",
        path="pkg/pool.py",
        conventions=config.conventions,
    )
    (pair,) = result.pairs
    assert str(pair.relation) == relation


# psycopg's `if True:  # ASYNC` blocks ----------------------------------------
# (async body, sync body, relation with if_true_is_async_only, without)
IF_TRUE = [
    pytest.param(
        """
        if True:  # ASYNC
            await asyncio.to_thread(self.cancel)
        else:
            self.cancel()
        """,
        "self.cancel()",
        ("derivable", "divergent"),
        id="the-else-is-the-sync-code",
    ),
    pytest.param(
        """
        if True:  # ASYNC
            loop = asyncio.get_running_loop()
        return self.x
        """,
        "return self.x",
        ("derivable", "divergent"),
        id="no-else-the-block-is-async-only",
    ),
    pytest.param(
        """
        if self.ready:
            await self.wait()
        """,
        """
        if self.ready:
            self.wait()
        """,
        ("derivable", "derivable"),
        id="another-if-is-left-alone",
    ),
    pytest.param(
        """
        if True:
            await self.wait()
        """,
        """
        if True:
            self.wait()
        """,
        ("divergent", "derivable"),
        id="the-sync-side-keeps-its-own-if-true",
    ),
]


def _method(body: str, *, is_async: bool) -> str:
    lines = textwrap.dedent(body).strip().splitlines()
    head = "async def run(self):" if is_async else "def run(self):"
    return "\n".join([f"    {head}", *(f"        {line}" for line in lines)])


@pytest.mark.parametrize(("async_body", "sync_body", "relations"), IF_TRUE)
@pytest.mark.parametrize("setting", [True, False], ids=["set", "unset"])
def test_if_true_blocks_of_the_async_side(async_body, sync_body, relations, setting):
    text = f"[twins]\nif_true_is_async_only = {str(setting).lower()}\n"
    result = analyse(
        {
            "pkg/c_async.py": "import asyncio\nclass AsyncC:\n"
            + _method(async_body, is_async=True)
            + "\n",
            "pkg/c.py": "# auto-generated from c_async.py\nclass C:\n"
            + _method(sync_body, is_async=False)
            + "\n",
        },
        text,
    )
    (pair,) = pairs_of(result).values()
    assert pair[1] == relations[0 if setting else 1]


POOL_ASYNC = """
    class AsyncPool:
        async def aclose(self):
            await self.conn.aclose()
"""
POOL_SYNC = """
    class Pool:
        def close(self):
            self.conn.close()
"""


# The module of an import in a twin body, as the sync twin imports it --------
def test_an_imported_module_reads_as_the_sync_twin_imports_it():
    """pymongo's `from pymongo.asynchronous import auth` is
    `from pymongo.synchronous import auth` in the generated sync body, and
    `from pkg._async.conn import AsyncConn` is `from pkg._sync.conn import
    Conn`: derivable. A module the sync side imports as it is stays as it is
    (`asgiref` is no `a`-prefixed name)."""
    result = analyse(
        {
            "pkg/_async/pool.py": """
                class AsyncPool:
                    async def aclose(self):
                        from pkg._async import auth
                        from pkg._async.conn import AsyncConn
                        from asgiref import local

                        await AsyncConn(auth, local).aclose()
                """,
            "pkg/_sync/pool.py": """
                class Pool:
                    def close(self):
                        from pkg._sync import auth
                        from pkg._sync.conn import Conn
                        from asgiref import local

                        Conn(auth, local).close()
                """,
        }
    )
    assert pairs_of(result)["pkg._async.pool.AsyncPool.aclose"] == (
        "pkg._sync.pool.Pool.close",
        "derivable",
        "",
    )
    (pair,) = [p for p in result.pairs if p.sync_module]
    assert pair.async_only_lines == pair.sync_only_lines == ()


def test_a_hand_written_async_folder_pairs_with_the_modules_beside_it():
    """opensearch-py's `_async/client/` has no `_sync/`: its twins are the
    modules of `client/` beside it. Where `_sync/` exists, it wins."""
    assert load_conventions().twin_layouts("os/_async/client/indices.py") == [
        ("os/_sync/client/indices.py", ""),
        ("os/client/indices.py", ""),
    ]
    pool = {
        "os/_async/client/pool.py": POOL_ASYNC,
        "os/client/pool.py": POOL_SYNC,
    }
    assert pairs_of(analyse(pool, package="os", reader=True)) == {
        "os._async.client.pool.AsyncPool.aclose": (
            "os.client.pool.Pool.close",
            "derivable",
            "",
        )
    }
    both = {**pool, "os/_sync/client/pool.py": POOL_SYNC}
    (twin, _, _) = pairs_of(analyse(both, package="os", reader=True))[
        "os._async.client.pool.AsyncPool.aclose"
    ]
    assert twin == "os._sync.client.pool.Pool.close"
