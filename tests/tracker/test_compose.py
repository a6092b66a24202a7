"""docker-compose.yml is a valid Compose file for the stack the README describes.

Validated against the Compose Specification's JSON schema (vendored in
tests/data/compose-spec), as written and as Compose interpolates it.
"""

import json
import re
from pathlib import Path

import jsonschema_rs
import pytest
from compose_file import (
    APP_SERVICES,
    COMPOSE_FILE,
    REPO_ROOT,
    MissingVariable,
    compose_config,
    compose_raw,
    env_example,
    interpolate,
    service_command,
    service_environment,
)

SCHEMA = REPO_ROOT / "tests" / "data" / "compose-spec" / "compose-spec.json"
SECRETS = {"DJANGO_SECRET_KEY": "k" * 50, "POSTGRES_PASSWORD": "p"}


@pytest.fixture(scope="module")
def validator():
    return jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()))


@pytest.fixture(scope="module")
def config() -> dict:
    """The stack as configured by .env.example with its secrets filled in."""
    return compose_config({**env_example(), **SECRETS})


def errors(validator, document) -> list[str]:
    return [
        f"{'/'.join(map(str, error.instance_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def test_the_file_matches_the_compose_schema(validator) -> None:
    assert errors(validator, compose_raw()) == []


def test_the_interpolated_file_matches_the_compose_schema(validator, config) -> None:
    assert errors(validator, config) == []


def test_the_schema_catches_a_wrong_condition(validator) -> None:
    """The check has teeth: a misspelt depends_on condition is refused."""
    document = compose_raw()
    document["services"]["web"]["depends_on"]["migrate"]["condition"] = "completed"

    assert errors(validator, document)


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_the_stack_refuses_to_start_without_its_secrets(secret) -> None:
    env = {**env_example(), **SECRETS, secret: ""}

    with pytest.raises(MissingVariable, match=secret):
        compose_config(env)


def test_the_services_of_the_stack(config) -> None:
    assert set(config["services"]) == {"db", "redis", "cache", "proxy", *APP_SERVICES}


def test_only_nginx_is_published(config) -> None:
    """Clients reach gunicorn through nginx, which holds the slow ones."""
    services = config["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert services["proxy"]["ports"] == ["8000:8080"]
    env = services["proxy"]["environment"]
    assert env["WEB_UPSTREAM"] == f"web:{services['web']['expose'][0]}"
    assert env["PROXY_LISTEN"] == "8080"
    assert (
        "./nginx.conf.template:/etc/nginx/templates/nginx.conf.template:ro"
        in services["proxy"]["volumes"]
    )
    assert services["proxy"]["depends_on"] == {
        "web": {"condition": "service_healthy", "restart": True}
    }


def test_the_cache_is_a_bounded_redis_of_its_own(config) -> None:
    """Cached pages evict one another; they never fill the broker."""
    command = service_command(config, "cache")
    assert command[command.index("--maxmemory") + 1] == "64mb"
    assert command[command.index("--maxmemory-policy") + 1] == "allkeys-lru"
    env = service_environment(config, "web")
    assert env["ASYNCDASH_CACHE_URL"] == "redis://cache:6379/0"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    assert env["ASYNCDASH_TRUSTED_PROXIES"] == "1"  # nginx


def test_migrations_run_once_before_the_app_starts(config) -> None:
    services = config["services"]
    assert service_command(config, "migrate") == [
        "python",
        "manage.py",
        "migrate",
        "--noinput",
    ]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    after_migrate = {
        "db": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    for name in ("web", "worker", "beat"):
        assert "migrate" not in service_command(config, name)
        cache = {"cache": {"condition": "service_healthy"}} if name == "web" else {}
        assert services[name]["depends_on"] == {**after_migrate, **cache}, name


@pytest.mark.parametrize("service", ["db", "redis", "cache", "web", "worker"])
def test_long_running_services_have_healthchecks(config, service) -> None:
    assert config["services"][service]["healthcheck"]["test"]


def test_one_beat_only(config) -> None:
    assert config["services"]["beat"]["deploy"]["replicas"] == 1


def test_named_volumes_hold_the_database_and_the_data_folder(config) -> None:
    services = config["services"]
    assert set(config["volumes"]) >= {"pgdata", "data"}
    assert "pgdata:/var/lib/postgresql/data" in services["db"]["volumes"]
    data_dir = dockerfile_env()["ASYNCDASH_DATA_DIR"]
    for name in ("worker", "beat"):
        assert f"data:{data_dir}" in services[name]["volumes"], name


def test_the_app_is_configured_from_the_environment(config) -> None:
    env = service_environment(config, "web")
    assert env["DJANGO_PRODUCTION"] == "1"
    assert env["DJANGO_SECRET_KEY"] == SECRETS["DJANGO_SECRET_KEY"]
    assert env["DATABASE_URL"] == "postgres://asyncdash:p@db:5432/asyncdash"
    assert env["REDIS_URL"] == "redis://redis:6379/0"
    for name in (
        "DJANGO_ALLOWED_HOSTS",
        "ASYNCDASH_WEEKLY_SCAN",
        "ASYNCDASH_UPSTREAM_URL",
    ):
        assert env[name] == env_example()[name], name
    for name in APP_SERVICES:
        assert service_environment(config, name) == env, name


def test_every_variable_the_file_reads_is_in_env_example() -> None:
    """Documented there, set or as a commented-out example."""
    used = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", COMPOSE_FILE.read_text()))
    documented = set(
        re.findall(
            r"^#? ?([A-Z_][A-Z0-9_]*)=",
            (REPO_ROOT / ".env.example").read_text(),
            re.M,
        )
    )
    assert used - documented - {"WEB_PORT"} == set()


def test_the_image_runs_the_web_command_by_default(config) -> None:
    """The Dockerfile's CMD is the web service's command with its defaults."""
    cmd = re.search(r"^CMD (\[.*?\])\s*$", dockerfile(), re.M | re.S).group(1)
    assert json.loads(cmd.replace("\\\n", "")) == service_command(config, "web")


def test_the_image_collects_static_files_and_runs_unprivileged() -> None:
    text = dockerfile()
    assert re.search(r"^FROM python:3\.11-slim", text, re.M)
    assert "manage.py collectstatic --noinput" in text
    assert re.search(r"^USER (?!root)\w+", text, re.M)
    assert text.index("COPY requirements.txt") < text.index("pip install")
    assert text.index("pip install") < text.index("COPY . .")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${A:-x}", "x"),
        ("${A-x}", ""),
        ("${B:-x}", "b"),
        ("${C:-${B}-${A:-y}}", "b-y"),
        ("$$HOSTNAME", "$HOSTNAME"),
        ("$B/${B}", "b/b"),
        ("${B:+set}${A:+empty}", "set"),
    ],
)
def test_interpolation_reads_like_compose(text, expected) -> None:
    assert interpolate(text, {"A": "", "B": "b"}) == expected


def dockerfile() -> str:
    return (REPO_ROOT / "Dockerfile").read_text()


def dockerfile_env() -> dict[str, str]:
    """The ENV NAME=value pairs of the Dockerfile."""
    text = dockerfile().replace("\\\n", " ")
    return dict(re.findall(r"\b([A-Z_][A-Z0-9_]*)=(\S+)", text))


def test_the_dockerfile_keeps_static_files_out_of_the_data_volume() -> None:
    env = dockerfile_env()
    assert not Path(env["ASYNCDASH_STATIC_ROOT"]).is_relative_to(
        env["ASYNCDASH_DATA_DIR"]
    )
