"""A pair across twin modules has the pair page of a pair within one module:
what differs once normalised is stored on its row (no file's cached result
holds a pair the tree pass made), shown on the page and in the API."""

import pytest
from repo_builder import demo_project, make_repo, site_for

from tracker.models import TwinPairStat
from tracker.scanning import requests

pytestmark = pytest.mark.django_db

TWINS = {
    "1.0": {
        "pkg/__init__.py": "",
        "pkg/_async/__init__.py": "",
        "pkg/_sync/__init__.py": "",
        "pkg/_async/conn.py": """
            class AsyncConnection:
                async def request(self, url):
                    response = await self.send(url)
                    await self.log_request(url)
                    return response.body
            """,
        "pkg/_sync/conn.py": """
            class Connection:
                def request(self, url):
                    response = self.send(url)
                    return response.body
            """,
    }
}
PAIR = "pkg._async.conn.AsyncConnection.request"


@pytest.fixture(scope="module")
def twins(tmp_path_factory, django_db_setup, django_db_blocker):
    root = tmp_path_factory.mktemp("twins")
    with site_for("twins", django_db_blocker, DATA_DIR=root / "data"):
        with django_db_blocker.unblock():
            project = demo_project(make_repo(root / "upstream", TWINS), slug="twins")
            targets = [requests.Target(version="1.0", ref="1.0")]
            (scan,) = requests.scans_request(project=project, targets=targets)
            scan.refresh_from_db()
            assert scan.status == "done", scan.error
        yield project


def test_a_pair_across_twin_modules_keeps_what_differs(twins):
    pair = TwinPairStat.objects.get(release__project=twins, module="pkg._async.conn")
    assert (pair.sync_module, pair.sync_qualname) == (
        "pkg._sync.conn",
        "Connection.request",
    )
    assert pair.leftover == {
        "renames": [],
        "sync_only_lines": [],
        "async_only_lines": ["self.log_request(url)"],
    }


def test_its_page_shows_what_differs_after_normalisation(twins, client):
    html = client.get(f"/p/twins/releases/1.0/pairs/{PAIR}/").content.decode()
    assert "record of this pair is not stored" not in html
    normalised = html[html.index("normalised-title") : html.index("raw-title")]
    assert '<pre class="leftover ins">self.log_request(url)' in normalised


def test_the_api_answers_what_differs_for_it(twins, client):
    answer = client.get(f"/api/v1/projects/twins/pairs/{PAIR}").json()
    assert answer["sync_module"] == "pkg._sync.conn"
    assert answer["async_only_lines"] == ["self.log_request(url)"]
    assert answer["sync_only_lines"] == []
