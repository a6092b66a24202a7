"""Lines written while a scan's task runs carry the scan's ids."""

import io
import json
import logging
from types import SimpleNamespace

import pytest

from tracker.config import logs
from tracker.scanning import beat, tasks


@pytest.fixture
def lines():
    """The JSON lines logged meanwhile, through the project's formatter and filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.json_formatter())
    handler.addFilter(logs.ScanIdsFilter())
    root = logging.getLogger()
    root.addHandler(handler)

    def read() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield read
    root.removeHandler(handler)


def log(message: str) -> None:
    logging.getLogger("tracker.scanning.steps").warning(message)


def test_a_task_taking_one_scan_id_tags_its_lines(lines) -> None:
    logs.task_started("t1", task=tasks.finalise_scan, args=(7,), kwargs={})
    log("inside")
    logs.task_finished("t1")
    log("after")

    inside, after = lines()
    assert inside["scan_ids"] == [7]
    assert "scan_ids" not in after


def test_a_task_taking_scan_ids_by_keyword_tags_its_lines(lines) -> None:
    logs.task_started(
        "t2", task=tasks.scan_releases, args=(), kwargs={"scan_ids": [3, 4]}
    )
    log("inside")
    logs.task_finished("t2")

    assert lines()[0]["scan_ids"] == [3, 4]


def test_a_batch_inherits_the_ids_of_the_task_that_queued_it(lines) -> None:
    """analyze_batch takes no scan id: the message header carries them."""
    headers: dict = {}
    logs.task_started("t3", task=tasks.scan_releases, args=([5],), kwargs={})
    logs.task_publishing(headers=headers)
    logs.task_finished("t3")
    batch = SimpleNamespace(
        run=tasks.analyze_batch.run, request=SimpleNamespace(**headers)
    )

    logs.task_started("t4", task=batch, args=(1, [["pkg/a.py", "0" * 40]]))
    log("in the batch")
    logs.task_finished("t4")

    assert headers == {logs.HEADER: [5]}
    assert lines()[0]["scan_ids"] == [5]


def test_a_nested_eager_task_restores_its_callers_scans(lines) -> None:
    logs.task_started("outer", task=tasks.scan_releases, args=([1, 2],))
    logs.task_started("inner", task=tasks.finalise_scan, args=(2,))
    log("inner")
    logs.task_finished("inner")
    log("outer")
    logs.task_finished("outer")

    assert [line["scan_ids"] for line in lines()] == [[2], [1, 2]]


def test_tasks_without_scans_are_not_tagged(lines) -> None:
    logs.task_started("w", task=beat.weekly_scan, args=())
    logs.task_publishing(headers=(headers := {}))
    log("weekly")
    logs.task_finished("w")

    assert "scan_ids" not in lines()[0]
    assert headers == {}
