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


class Stream(io.StringIO):
    def __init__(self, *, terminal: bool) -> None:
        super().__init__()
        self.terminal = terminal

    def isatty(self) -> bool:
        return self.terminal


@pytest.mark.parametrize(
    ("choice", "terminal", "production", "expected"),
    [
        ("auto", True, False, "text"),
        ("auto", False, False, "json"),  # a pipe, CI
        ("auto", True, True, "json"),  # production is JSON even on a terminal
        ("json", True, False, "json"),
        ("text", False, True, "text"),
    ],
)
def test_the_log_format_follows_the_terminal_unless_a_setting_says(
    choice, terminal, production, expected
) -> None:
    stream = Stream(terminal=terminal)
    assert logs.log_format(choice, production=production, stream=stream) == expected


def test_an_unknown_log_format_is_refused_by_its_setting_name() -> None:
    with pytest.raises(ValueError, match="ASYNCDASH_LOG_FORMAT='xml'"):
        logs.log_format("xml", production=False)


def test_text_lines_are_readable_and_name_their_scans() -> None:
    record = logging.LogRecord(
        "tracker.scanning.steps", logging.WARNING, __file__, 1, "slow %s", ("a",), None
    )
    record.scan_ids = [3, 4]
    line = logs.TextFormatter().format(record)

    assert line.endswith(" WARNING tracker.scanning.steps: slow a (scans 3, 4)")
    assert "{" not in line


def test_celery_task_lines_never_carry_the_task_arguments() -> None:
    """Celery's trace puts the call in `data` and in the format's arguments:
    a batch's (path, blob) pairs made 20 KB lines."""
    from celery.app import trace

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.json_formatter())
    handler.addFilter(logs.TaskArgumentsFilter())
    logger = logging.getLogger("celery.app.trace")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    blobs = [[f"pkg/m{i}.py", f"{i:040x}"] for i in range(300)]
    try:
        trace.info(
            trace.LOG_SUCCESS,
            {
                "id": "t1",
                "name": "tracker.scanning.tasks.analyze_batch",
                "return_value": "None",
                "runtime": 0.5,
                "args": repr((1, blobs)),
                "kwargs": "{}",
            },
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)

    (line,) = stream.getvalue().splitlines()
    record = json.loads(line)
    assert record["message"] == (
        "Task tracker.scanning.tasks.analyze_batch[t1] succeeded in 0.5s: None"
    )
    assert "args" not in record["data"] and "kwargs" not in record["data"]
    assert "pkg/m1.py" not in line
    assert len(line) < 400


def test_a_log_line_prints_above_the_progress_bar() -> None:
    """On a terminal a warning goes above the bar, which is drawn again below."""
    from terminal import screen_lines
    from tqdm import tqdm

    stream = Stream(terminal=True)
    handler = logs.TerminalHandler(stream)
    handler.setFormatter(logs.TextFormatter())
    bar = tqdm(total=4, desc="scan", file=stream, ncols=60, mininterval=0)
    bar.update(1)
    handler.emit(
        logging.LogRecord(
            "tracker.demo", logging.WARNING, __file__, 1, "slow file", (), None
        )
    )
    bar.update(1)
    bar.close()

    lines = [line for line in screen_lines(stream.getvalue().encode()) if line]
    assert len(lines) == 2, lines
    assert lines[0].endswith(" WARNING tracker.demo: slow file")
    assert "scan" not in lines[0], "the line was written through the bar"
    assert lines[1].startswith("scan:  50%|")


class Writes(Stream):
    """A stream that keeps each write call apart."""

    def __init__(self) -> None:
        super().__init__(terminal=False)
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        if text:
            self.calls.append(text)
        return super().write(text)


def test_each_log_line_is_written_whole_in_one_call() -> None:
    """A worker's processes share stdout: a line and its newline split in two
    writes let another process's line in between, two JSON objects on one."""
    stream = Writes()
    handler = logs.TerminalHandler(stream)
    handler.setFormatter(logs.json_formatter())
    for message in ("first", "second"):
        handler.emit(
            logging.LogRecord(
                "tracker.demo", logging.INFO, __file__, 1, message, (), None
            )
        )

    assert len(stream.calls) == 2, stream.calls
    for call, message in zip(stream.calls, ("first", "second"), strict=True):
        assert call.endswith("}\n") and call.count("\n") == 1, call
        assert json.loads(call)["message"] == message
