"""FileResults survive the JSON round trip the scan pipeline stores them in."""

import json
import textwrap

from analyzers.file_pass import analyze_file
from analyzers.serialize import file_result_from_json
from analyzers.types import to_jsonable

SOURCE = textwrap.dedent(
    """
    import asyncio
    from asgiref.sync import sync_to_async

    class Cache:
        async_capable = True

        def get(self, key):
            return key

        async def aget(self, key):
            return await sync_to_async(self.get)(key)

        async def aget_many(self, keys):
            await asyncio.gather(*(self.aget(k) for k in keys))
            open("x")
            return [await self.aget(k) for k in keys]
    """
).encode()


def test_file_result_round_trips_through_json():
    result = analyze_file(SOURCE, module="pkg.cache", path="pkg/cache.py")
    assert result.pairs and result.functions[2].blocking  # the data is not trivial
    data = json.loads(json.dumps(to_jsonable(result)))
    assert file_result_from_json(data) == result


def test_parse_error_round_trips_through_json():
    result = analyze_file(b"def (:\n", module="pkg.bad", path="pkg/bad.py")
    data = json.loads(json.dumps(to_jsonable(result)))
    assert file_result_from_json(data) == result
    assert result.parse_error is not None
