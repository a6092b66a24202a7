"""How twins relate: delegating, derivable, near-copy or divergent, line by line."""

import textwrap

import pytest
from snippets import fields

from analyzers.file_pass import analyze_file
from analyzers.types import Relation, TwinPair


def pair(code: str) -> TwinPair:
    result = analyze_file(
        textwrap.dedent(code).encode(), module="pkg.mod", path="pkg/mod.py"
    )
    assert result.parse_error is None, result.parse_error
    (only,) = result.pairs
    return only


GET_MANY = """
    def get_many(self, keys):
        \"\"\"Fetch many keys.\"\"\"
        found = {}
        for key in keys:
            value = self.get(key)  # one at a time
            if value is not None:
                found[key] = value
        return found

    async def aget_many(self, keys):
        \"\"\"Fetch many keys, asynchronously.\"\"\"
        found = {}
        for key in keys:
            # the async flavour
            value = await self.aget(key)
            if value is not None:
                found[key] = value
        return found
"""

SEND = """
    def send(self, sender, **named):
        responses = []
        for receiver in self.receivers:
            response = receiver(sender, **named)
            responses.append((receiver, response))
        if not responses:
            return []
        self.log(responses)
        self.count += 1
        self.flush(responses)
        return responses

    async def asend(self, sender, **named):
        responses = []
        for receiver in self.receivers:
            response = await receiver(sender, **named)
            responses.append((receiver, response))
        if not responses:
            return []
        self.log(responses)
        self.count += 1
        await self.aflush(responses)
        self.audit(responses)
        return responses
"""

RELATION = [
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        class Cache:
            def get(self, key):
                return self._cache.get(key)

            async def aget(self, key):
                return await sync_to_async(self.get)(key)
        """,
        {
            "relation": Relation.DELEGATING,
            "duplicated_lines": 0,
            "sync_only_lines": ("return self._cache.get(key)",),
            "async_only_lines": ("return sync_to_async(self.get)(key)",),
        },
        id="async-delegates-to-sync",
    ),
    pytest.param(
        """
        from asgiref.sync import async_to_sync

        class Cache:
            async def aget(self, key):
                return await self._client.get(key)

            def get(self, key):
                return async_to_sync(self.aget)(key)
        """,
        {"relation": Relation.DELEGATING},
        id="sync-delegates-to-async",
    ),
    pytest.param(
        "class Cache:" + GET_MANY,
        {
            "relation": Relation.DERIVABLE,
            "similarity": 1.0,
            "duplicated_lines": 6,
            "sync_only_lines": (),
            "async_only_lines": (),
            "renames": ("aget->get",),
        },
        id="derivable-despite-docstring-and-comments",
    ),
    pytest.param(
        """
        class Stream:
            def iterate(self):
                with self.lock():
                    for item in self.items():
                        yield item
                raise StopIteration

            async def aiterate(self):
                async with self.lock():
                    async for item in self.items():
                        yield item
                raise StopAsyncIteration
        """,
        {
            "relation": Relation.DERIVABLE,
            "duplicated_lines": 4,
            "renames": ("StopAsyncIteration->StopIteration",),
        },
        id="async-for-with-and-catalogue-rename",
    ),
    pytest.param(
        "class Signal:" + SEND,
        {
            "relation": Relation.NEAR_COPY,
            "duplicated_lines": 10,
            "sync_only_lines": (),
            "async_only_lines": ("self.audit(responses)",),
            "renames": ("aflush->flush",),
        },
        id="near-copy-with-one-extra-line",
    ),
    pytest.param(
        """
        class Signal:
            def send_all(self, sender):
                for signal in self.signals:
                    signal.send(sender)

            async def asend_all(self, sender):
                for signal in self.signals:
                    await signal.asend(sender)
        """,
        {"relation": Relation.DERIVABLE, "renames": ("asend->send",)},
        id="a-prefixed-name-used-by-sync-twin",
    ),
    pytest.param(
        """
        import json

        class Template:
            def render(self, context):
                return self.template.render(context)

            async def arender(self, context):
                loop = get_loop()
                data = await loop.run_in_executor(None, compute)
                return json.dumps(data)
        """,
        {
            "relation": Relation.DIVERGENT,
            "similarity": 0.0,
            "duplicated_lines": 0,
            "sync_only_lines": ("return self.template.render(context)",),
            "async_only_lines": (
                "loop = get_loop()",
                "data = loop.run_in_executor(None, compute)",
                "return json.dumps(data)",
            ),
            "renames": (),
        },
        id="divergent",
    ),
]


# unasync's generic rule: any name aX is X, in both bodies, in one layout.
GENERIC = [
    pytest.param(
        """
        class Client:
            def login(self, **credentials):
                from django.contrib.auth import authenticate

                user = authenticate(**credentials)
                return bool(user)

            async def alogin(self, **credentials):
                from django.contrib.auth import aauthenticate

                user = await aauthenticate(**credentials)
                return bool(user)
        """,
        {"relation": Relation.DERIVABLE, "renames": ("aauthenticate->authenticate",)},
        id="imported-names-renamed-as-they-are-used",
    ),
    pytest.param(
        """
        class Client:
            def login(self, **credentials):
                from django.contrib.auth import authenticate

                return authenticate(**credentials)

            async def alogin(self, **credentials):
                from django.contrib.auth import authenticate as check

                return await check(**credentials)
        """,
        {"relation": Relation.DIVERGENT},
        id="an-import-under-another-name-is-no-rename",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        class Client:
            @property
            def session(self):
                return self.engine.SessionStore()

            async def asession(self):
                return await sync_to_async(lambda: self.session)()
        """,
        {"relation": Relation.DELEGATING},
        id="delegation-through-a-lambda",
    ),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        class Client:
            def session(self):
                return self.engine.SessionStore()

            async def asession(self):
                return await sync_to_async(lambda: self.other)()
        """,
        {"relation": Relation.DIVERGENT},
        id="a-lambda-running-something-else-is-no-delegation",
    ),
    pytest.param(
        """
        class ModelBackend:
            def authenticate(self, request, username=None, password=None):
                user = self.manager.get_by_natural_key(username)
                if user.check_password(password) and self.user_can_authenticate(user):
                    return user

            async def aauthenticate(self, request, username=None, password=None):
                user = await self.manager.aget_by_natural_key(username)
                if await user.acheck_password(password) and self.user_can_authenticate(
                    user
                ):
                    return user
        """,
        {
            "relation": Relation.DERIVABLE,
            "duplicated_lines": 3,
            "renames": (
                "acheck_password->check_password",
                "aget_by_natural_key->get_by_natural_key",
            ),
        },
        id="line-wrapped-differently-by-black",
    ),
    pytest.param(
        """
        class Backend:
            def has_perm(self, user, perm):
                return perm in self._get_perms(user, "user")

            async def ahas_perm(self, user, perm):
                return perm in await self._aget_perms(user, "user")
        """,
        {"relation": Relation.DERIVABLE, "renames": ("_aget_perms->_get_perms",)},
        id="private-a-prefixed-method",
    ),
    pytest.param(
        """
        class Loader:
            def load(self, name):
                method = getattr(self.backend, "fetch")
                return method(name, callback=self.done)

            async def aload(self, name):
                method = getattr(self.backend, "afetch")
                return await method(name, acallback=self.adone)
        """,
        {"relation": Relation.DERIVABLE},
        id="string-literal-keyword-and-attribute",
    ),
    pytest.param(
        """
        class Cache:
            def get(self, key):
                return self.fetch(key)

            async def aget(self, key):
                return await self.alookup(key)
        """,
        {
            "relation": Relation.DIVERGENT,
            "async_only_lines": ("return self.alookup(key)",),
        },
        id="a-prefixed-name-of-another-method-is-not-derivable",
    ),
]


@pytest.mark.parametrize(("code", "expected"), GENERIC)
def test_generic_rule(code, expected):
    """A pair is derivable when the bodies are token-identical after removing
    async/await and mapping every aX to X; the lines shown keep the names."""
    assert fields(pair(code), expected) == expected


@pytest.mark.parametrize(("code", "expected"), RELATION)
def test_relation(code, expected):
    """Twins are compared after dropping docstrings, comments, await and async."""
    assert fields(pair(code), expected) == expected


SIMILARITY = [
    pytest.param("class Cache:" + GET_MANY, 1.0, 1.0, id="derivable"),
    pytest.param("class Signal:" + SEND, 0.8, 0.99, id="near-copy"),
]


@pytest.mark.parametrize(("code", "low", "high"), SIMILARITY)
def test_similarity(code, low, high):
    """A near copy scores at least 0.8 but below 1; a derivable pair scores 1."""
    assert low <= pair(code).similarity <= high


HASHES = [
    pytest.param("class Cache:" + GET_MANY, True, id="derivable"),
    pytest.param("class Signal:" + SEND, False, id="near-copy"),
    pytest.param(
        """
        from asgiref.sync import sync_to_async

        class Cache:
            def get(self, key):
                return self._cache.get(key)

            async def aget(self, key):
                return await sync_to_async(self.get)(key)
        """,
        False,
        id="delegating",
    ),
]


@pytest.mark.parametrize(("code", "equal"), HASHES)
def test_body_hashes(code, equal):
    """The normalised bodies hash alike exactly when the pair is derivable."""
    result = analyze_file(
        textwrap.dedent(code).encode(), module="pkg.mod", path="pkg/mod.py"
    )
    (only,) = result.pairs
    assert (only.sync_hash == only.async_hash) is equal
    hashes = {f.qualname: f.body_hash for f in result.functions if f.body_hash}
    assert hashes == {
        only.sync_qualname: only.sync_hash,
        only.async_qualname: only.async_hash,
    }
