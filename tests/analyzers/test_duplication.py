"""How twins relate: delegating, derivable, near-copy or divergent, line by line."""

import difflib
import textwrap

import pytest
from snippets import fields

from analyzers import hostile
from analyzers.file_pass import duplication
from analyzers.file_pass.analyze import analyze_file
from analyzers.records import Relation, TwinPair


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


# Bounded diff ------------------------------------------------------------------
def twins(sync_body: list[str], async_body: list[str]) -> bytes:
    def block(lines: list[str]) -> str:
        return "".join(f"        {line}\n" for line in lines)

    return (
        "class Store:\n"
        f"    def get(self):\n{block(sync_body)}"
        f"    async def aget(self):\n{block(async_body)}"
    ).encode()


def no_difflib(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("difflib's matcher ran past its budget")

    monkeypatch.setattr(duplication.difflib, "SequenceMatcher", refuse)


def test_a_pair_past_the_diff_budget_is_compared_in_linear_time(monkeypatch):
    """Two bodies of 3,000 equal lines: difflib's matcher would take about
    3,000^3 steps (52,000 took 479 s); as multisets of lines they are one."""
    source = hostile.equal_twins(3000)
    no_difflib(monkeypatch)
    (only,) = analyze_file(source, module="pkg.mod", path="pkg/mod.py").pairs
    assert (only.similarity, only.duplicated_lines) == (1.0, 3000)
    assert only.relation is Relation.DERIVABLE
    assert only.sync_only_lines == only.async_only_lines == ()


def test_past_the_budget_lines_count_as_multisets(monkeypatch):
    """Each line the async body repeats counts once, wherever it stands: the
    measure is an upper bound of the matcher's, honest about what it shares."""
    sync_body = [f"x{i} = {i}" for i in range(1500)] + ["return 1"] * 600
    async_body = [*reversed(sync_body[:1500]), "return 2", *["return 1"] * 599]
    cost = duplication.diff_cost(sync_body, async_body)
    assert cost > duplication.DIFF_BUDGET
    no_difflib(monkeypatch)
    (only,) = analyze_file(
        twins(sync_body, async_body), module="pkg.mod", path="pkg/mod.py"
    ).pairs
    assert only.duplicated_lines == 2099
    assert only.similarity == round(2 * 2099 / 4200, 4)
    assert (only.sync_only_lines, only.async_only_lines) == (
        ("return 1",),
        ("return 2",),
    )
    assert only.relation is Relation.NEAR_COPY


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(list("abcd"), list("axbcd"), id="one-inserted"),
        pytest.param(list("abcabcde"), list("abcde"), id="repeated-run"),
        pytest.param(list("aaaa"), list("ababab"), id="popular-line"),
        pytest.param([], list("ab"), id="one-side-empty"),
    ],
)
def test_within_the_budget_the_matcher_decides(a, b):
    """Pairs as Django's (the largest needs under 10,000 steps) keep
    difflib's answer exactly."""
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    only_a = [
        i
        for tag, i1, i2, _, _ in matcher.get_opcodes()
        if tag != "equal"
        for i in range(i1, i2)
    ]
    only_b = [
        j
        for tag, _, _, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
        for j in range(j1, j2)
    ]
    matched = sum(block.size for block in matcher.get_matching_blocks())
    assert duplication.diff_cost(a, b) <= duplication.DIFF_BUDGET
    assert duplication.unmatched_lines(a, b) == (matched, only_a, only_b)
