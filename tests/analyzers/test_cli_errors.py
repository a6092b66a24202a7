"""`python -m analyzers` on hostile trees: every `.py` entry it cannot analyse
is listed with the reason, and the run goes on to the end."""

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analyzers import hostile, safe_read
from analyzers.cli import main

REPO_ROOT = Path(__file__).resolve().parents[2]
POISON = "type X = " + "not " * 50_000 + "y\n"  # overflows libcst's native parser
ASYNC = "async def aget():\n    return 1\n"


def tree(root: Path, files: dict[str, str]) -> Path:
    for relative, code in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code)
    return root


def parse_errors(out: str) -> dict[str, str]:
    prefix = "  parse error: "
    return dict(
        line.removeprefix(prefix).split(": ", 1)
        for line in out.splitlines()
        if line.startswith(prefix)
    )


def run_cli(root: Path, *flags: str, timeout: float = 300) -> str:
    """`python -m analyzers ROOT FLAGS` as a process; its output, once it
    ended well."""
    done = subprocess.run(
        [sys.executable, "-m", "analyzers", str(root), *flags],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_file_that_crashes_the_parser_fails_alone(tmp_path):
    """Run as a process: before, the whole CLI died of SIGSEGV."""
    root = tree(
        tmp_path, {"django/poison.py": POISON, "django/ok.py": ASYNC, "tests/x.py": ""}
    )
    out = run_cli(root)
    errors = parse_errors(out)
    assert errors["django/poison.py"] == (
        "not analysed: the analyzer crashed (signal 11, SIGSEGV)"
    )
    assert "django/ok.py" not in errors
    assert "3 files, 1 functions" in out


# Each is accepted by Python's `ast` and took the CLI itself down or for ever:
# 24 levels of `case [[[...]]]` 63 s (30: hours), 1 MiB of brackets 152 s and
# 11 GB, a 10,000-term `and` signal 11. Smaller here, under smaller limits.
OVER_A_LIMIT = [
    pytest.param(
        hostile.match_nesting(26),
        ("--seconds-per-file", "2"),
        "not analysed: took over ",
        id="exponential-time",
    ),
    pytest.param(
        hostile.nested_brackets(128 * 1024),
        ("--memory-per-file", "256"),
        "not analysed: over the 256 MiB memory limit",
        id="gigabytes",
    ),
    pytest.param(
        hostile.long_and(10_000),
        (),
        "not analysed: the analyzer crashed (signal 11, SIGSEGV)",
        id="stack-overflow",
    ),
    pytest.param(
        b"x = 1\n" * 200_000,
        (),
        "not analysed: too large (1200000 bytes; the limit is 1048576)",
        id="over-the-byte-limit",
    ),
]


@pytest.mark.parametrize(("source", "flags", "reason"), OVER_A_LIMIT)
def test_a_file_over_a_limit_is_listed_and_the_run_goes_on(
    tmp_path, source, flags, reason
):
    """A CPU-time failure may show as the wall-clock backstop on a loaded
    machine: both say "took over"."""
    root = tree(tmp_path, {"django/ok.py": ASYNC, "django/zz.py": ASYNC})
    (root / "django/hostile.py").write_bytes(source)
    out = run_cli(root, *flags, timeout=120)
    assert parse_errors(out)["django/hostile.py"].startswith(reason)
    assert "3 files, 2 functions" in out


def test_twins_difflib_searched_cubically_are_compared(tmp_path):
    """2,000 lines against 4,000: minutes in difflib's matcher (like 2 x 52,000
    equal lines: 479 s), under a second in the bounded diff."""
    root = tree(tmp_path, {"django/ok.py": ASYNC})
    (root / "django/twins.py").write_bytes(hostile.alternating_twins(2000))
    out = run_cli(root, "--json", timeout=120)
    (pair,) = json.loads(out)["pairs"]
    assert (pair["relation"], pair["duplicated_lines"]) == ("divergent", 2000)
    assert pair["similarity"] == 0.6667


def test_bad_limits_are_refused(tmp_path, capsys):
    root = tree(tmp_path, {"django/ok.py": ASYNC})
    with pytest.raises(SystemExit) as exc:
        main([str(root), "--memory-per-file", "64"])
    assert exc.value.code == 2
    assert "the memory limit must be at least 128 MiB" in capsys.readouterr().err


def test_links_fifos_and_folders_named_like_modules_are_listed(tmp_path, capsys):
    root = tree(tmp_path, {"django/ok.py": ASYNC, "django/real/inner.py": ASYNC})
    (root / "django/link.py").symlink_to(root / "django/ok.py")
    (root / "django/outside.py").symlink_to("/etc/hostname")
    (root / "django/dir_link.py").symlink_to(root / "django/real")
    os.mkfifo(root / "django/pipe.py")
    (root / "django/folder.py").mkdir()

    assert main([str(root)]) == 0

    errors = parse_errors(capsys.readouterr().out)
    assert errors == {
        "django/dir_link.py": "not analysed: a symbolic link",
        "django/folder.py": "not analysed: a folder",
        "django/link.py": "not analysed: a symbolic link",
        "django/outside.py": "not analysed: a symbolic link",
        "django/pipe.py": "not analysed: a FIFO",
    }


def test_an_unreadable_file_is_listed_and_the_run_goes_on(
    tmp_path, capsys, monkeypatch
):
    """Mode 000 stops everyone but root; as root, opening it is made to fail
    with the same error the kernel gives everyone else."""
    root = tree(tmp_path, {"django/secret.py": ASYNC, "django/ok.py": ASYNC})
    secret = root / "django/secret.py"
    secret.chmod(0)
    if os.geteuid() == 0:
        real_open = os.open

        def no_access(path, flags, *args, **kwargs):
            if Path(path) == secret:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(safe_read.os, "open", no_access)

    assert main([str(root)]) == 0

    out = capsys.readouterr().out
    assert parse_errors(out) == {
        "django/secret.py": "not analysed: cannot read it (Permission denied)"
    }
    assert "2 files, 1 functions" in out


@pytest.mark.parametrize(
    ("toml", "missing"),
    [
        (
            '[project]\npackage = "django"\ntest = "tests"\n',
            "unknown key [project] test",
        ),
        ('[project]\ntests = "tests"\n', "missing [project] package"),
        ('[modules]\n"django.db" = "orm"\n', "missing [project] package"),
        ("[project]\npackage = 1\n", "[project] package must be a str"),
        (
            '[project]\npackage = "django"\n[twins]\nlayout = []\n',
            "unknown key twins.layout",
        ),
        ("[component]\n", "unknown table [component]"),
        (
            '[project]\npackage = "django"\ntests = "tests"\n[modules]\n"a" = 1\n',
            "[modules] must map names to component names",
        ),
        ("[project\n", "Expected ']'"),
    ],
)
def test_a_bad_component_map_is_named(tmp_path, capsys, toml, missing):
    root = tree(tmp_path / "src", {"django/ok.py": ASYNC})
    (tmp_path / "map.toml").write_text(toml)
    with pytest.raises(SystemExit) as exc:
        main([str(root), "--components-map", str(tmp_path / "map.toml")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--config: " in err and missing in err
    assert "Traceback" not in err


def cli_error(argv: list[str], capsys) -> str:
    """The one error line of a refused command line (after argparse's usage)."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if "error: " in line]
    return line


@pytest.mark.parametrize(
    ("folders", "key"),
    [
        ('package = "django"\ntests = "../elsewhere"', "tests"),
        ('package = "../elsewhere"\ntests = "tests"', "package"),
        ('package = "django"\ntests = "/tmp"', "tests"),
        ('package = "django"\ntests = "tests/../../elsewhere"', "tests"),
        ('package = "."\ntests = "tests"', "package"),
        ('package = "src/../../elsewhere"\ntests = "tests"', "package"),
        ('package = "django"\ntests = "a\\u0000b"', "tests"),
    ],
)
def test_a_map_naming_a_folder_outside_the_tree_is_refused(
    tmp_path, capsys, folders, key
):
    """`tests = "../../elsewhere"` analysed the files of another tree."""
    root = tree(tmp_path / "src", {"django/ok.py": ASYNC, "tests/t.py": ""})
    tree(tmp_path / "elsewhere", {"secret.py": "async def leaked():\n    pass\n"})
    (tmp_path / "map.toml").write_text(f"[project]\n{folders}\n")

    line = cli_error(
        [str(root), "--components-map", str(tmp_path / "map.toml")], capsys
    )

    assert f"[project] {key} must be " in line and "folder name" in line
    assert "leaked" not in capsys.readouterr().out


@pytest.mark.parametrize("special", ["/dev/zero", "fifo", "folder"])
def test_a_map_that_is_not_a_regular_file_is_refused_at_once(tmp_path, capsys, special):
    """/dev/zero was read until memory ran out; a FIFO was waited on for ever."""
    root = tree(tmp_path / "src", {"django/ok.py": ASYNC})
    path = Path(special) if special.startswith("/") else tmp_path / special
    if special == "fifo":
        os.mkfifo(path)
    elif special == "folder":
        path.mkdir()

    line = cli_error([str(root), "--components-map", str(path)], capsys)

    assert f"--config: {path}: not a regular file" in line


def test_a_map_over_its_size_limit_is_refused(tmp_path, capsys):
    root = tree(tmp_path / "src", {"django/ok.py": ASYNC})
    big = tmp_path / "map.toml"
    big.write_text("[project]\n" + "# padding\n" * 200_000)

    line = cli_error([str(root), "--components-map", str(big)], capsys)

    assert "larger than 1048576 bytes" in line


def test_a_missing_tree_is_one_line(tmp_path, capsys):
    line = cli_error([str(tmp_path / "nowhere")], capsys)
    assert "is not a directory" in line
