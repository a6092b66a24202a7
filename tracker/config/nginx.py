"""nginx in front of gunicorn outside Compose: `manage.py serve` (what
`make run` serves with) and the tests.

Its configuration is the file Compose's `proxy` service uses,
nginx.conf.template, filled in as the nginx image fills in its templates:
`${NAME}` and `$NAME` of the variables given, everything else left as is.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[2] / "nginx.conf.template"
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


class NginxMissing(RuntimeError):
    pass


def nginx_program() -> str:
    """The nginx executable (Debian installs it in /usr/sbin)."""
    path = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    found = shutil.which("nginx", path=path)
    if found is None:
        raise NginxMissing("nginx is not installed: apt-get install nginx")
    return found


def render(template: str, env: dict[str, str]) -> str:
    """`envsubst` limited to the names in `env`, as the nginx image runs it:
    nginx's own variables ($host...) are not in the environment and stay."""

    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        return env.get(name, match.group(0))

    return _VARIABLE.sub(value, template)


class Nginx:
    """One nginx, listening on `listen`, in front of gunicorn at `upstream`.

    Its pid file, configuration and buffers live in a fresh folder under the
    system's temporary one: started as root, nginx's workers run as another
    user, who must reach their buffers there.
    """

    def __init__(
        self, *, listen: str, upstream: str, env: dict[str, str] | None = None
    ):
        self.run_dir = Path(tempfile.mkdtemp(prefix="asyncdash-nginx-"))
        self.run_dir.chmod(0o755)
        self.config = self.run_dir / "nginx.conf"
        values = {
            **(env or {}),
            "PROXY_LISTEN": listen,
            "WEB_UPSTREAM": upstream,
            "NGINX_RUN_DIR": str(self.run_dir),
        }
        self.config.write_text(render(TEMPLATE.read_text(), values))
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        return [
            nginx_program(),
            "-p", str(self.run_dir),
            "-e", "stderr",
            "-c", str(self.config),
            "-g", "daemon off;",
        ]  # fmt: skip

    def check(self) -> None:
        """Raise with nginx's message unless the configuration is valid."""
        done = subprocess.run(
            [*self.command()[:-2], "-t"], capture_output=True, text=True, timeout=30
        )
        if done.returncode != 0:
            raise RuntimeError(f"nginx refuses its configuration: {done.stderr}")

    def start(self, **popen) -> subprocess.Popen:
        self.check()
        self.process = subprocess.Popen(self.command(), **popen)
        return self.process

    def stop(self) -> None:
        """A fast shutdown (SIGTERM), then the folder goes."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        shutil.rmtree(self.run_dir, ignore_errors=True)
