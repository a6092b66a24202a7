"""docker-compose.yml as Compose reads it: YAML, then `${VAR}` interpolation.

The tests run the stack's commands as local processes (these machines have
no Docker engine); they take them from here, so they run what Compose would.
"""

import re
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
# The services that run the app image, in the order the stack starts them.
APP_SERVICES = ("migrate", "web", "worker", "beat")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class MissingVariable(ValueError):
    """A `${VAR:?message}` whose variable is unset or empty."""


def interpolate(text: str, env: dict[str, str]) -> str:
    """Compose's interpolation: $$, $VAR, ${VAR}, ${VAR:-x}, ${VAR-x},
    ${VAR:?msg}, ${VAR?msg}, ${VAR:+x}, ${VAR+x}; defaults may nest."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char != "$":
            out.append(char)
            i += 1
        elif text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i):
            end = _closing_brace(text, i + 2)
            out.append(_expand(text[i + 2 : end], env))
            i = end + 1
        elif match := _NAME.match(text, i + 1):
            out.append(env.get(match.group(), ""))
            i = match.end()
        else:
            raise ValueError(f"a lone $ in {text!r}; write $$")
    return "".join(out)


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for index in range(start, len(text)):
        if text.startswith("${", index):
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"unclosed ${{ in {text!r}")


def _expand(body: str, env: dict[str, str]) -> str:
    match = _NAME.match(body)
    if not match:
        raise ValueError(f"bad variable ${{{body}}}")
    name, rest = match.group(), body[match.end() :]
    value = env.get(name)
    if not rest:
        return value or ""
    colon = rest.startswith(":")
    operator, argument = rest[int(colon)], rest[int(colon) + 1 :]
    unset = value is None or (colon and value == "")
    if operator == "-":
        return interpolate(argument, env) if unset else value
    if operator == "?":
        if unset:
            raise MissingVariable(f"{name}: {interpolate(argument, env)}")
        return value
    if operator == "+":
        return "" if unset else interpolate(argument, env)
    raise ValueError(f"bad variable ${{{body}}}")


def _interpolate_all(node, env: dict[str, str]):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [_interpolate_all(item, env) for item in node]
    if isinstance(node, dict):
        return {key: _interpolate_all(value, env) for key, value in node.items()}
    return node


def compose_raw() -> dict:
    """The file as YAML (anchors and merge keys resolved), not interpolated."""
    return yaml.safe_load(COMPOSE_FILE.read_text())


def compose_config(env: dict[str, str]) -> dict:
    """The file as `docker compose config` sees it with this environment."""
    return _interpolate_all(compose_raw(), env)


def env_example() -> dict[str, str]:
    """The KEY=VALUE lines of .env.example (commented-out ones excluded)."""
    pairs = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def service_command(config: dict, service: str) -> list[str]:
    command = config["services"][service]["command"]
    return [str(part) for part in command]


def service_environment(config: dict, service: str) -> dict[str, str]:
    return {
        key: "" if value is None else str(value)
        for key, value in config["services"][service]["environment"].items()
    }
