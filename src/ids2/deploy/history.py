"""A local git history of every rendered configuration that was deployed.

Phase F of the deploy commits the rendered files here, so a person can see what changed
and when, and `ids2 rollback` can bring back an earlier good set. Secrets never enter the
history: files rendered with a private mode (0600) are left out.
"""

from __future__ import annotations

import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ids2.errors import Ids2Error

log = logging.getLogger(__name__)
AUTHOR = "ids2 deploy <ids2@localhost>"
CONFIG_NAME = "config.yaml"
"""The configuration file in the history, beside what was rendered from it: a person's
edit (`ids2 rules suppress`, ...) can be seen and its previous version taken back."""


class HistoryError(Ids2Error):
    """The config history could not be read or written."""


@dataclass(frozen=True)
class Commit:
    """One recorded deploy: its revision, subject line and diff summary."""

    revision: str
    subject: str
    summary: str


def _is_private(path: Path) -> bool:
    return path.stat().st_mode & 0o077 == 0


class ConfigHistory:
    """A git repository holding copies of the rendered files."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _git(self, *args: str, check: bool = True) -> str:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.directory),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_AUTHOR_NAME": "ids2 deploy",
            "GIT_AUTHOR_EMAIL": "ids2@localhost",
            "GIT_COMMITTER_NAME": "ids2 deploy",
            "GIT_COMMITTER_EMAIL": "ids2@localhost",
        }
        try:
            result = subprocess.run(
                ["git", "-C", str(self.directory), *args],
                capture_output=True,
                text=True,
                env=env,
                check=False,
                timeout=60,
            )
        except FileNotFoundError:
            raise HistoryError("git is not installed; the config history needs it") from None
        if check and result.returncode != 0:
            raise HistoryError(f"git {args[0]} in {self.directory} failed: {result.stderr.strip()}")
        return result.stdout

    def ensure(self) -> None:
        """Create the repository on first use."""
        if not (self.directory / ".git").is_dir():
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._git("init", "--quiet", "--initial-branch=main")

    def record(
        self, rendered_dir: Path, names: list[str], message: str, config_file: Path | None = None
    ) -> Commit | None:
        """Commit the named rendered files (not private ones), and the configuration file
        they came from as CONFIG_NAME when given; None when nothing changed."""
        self.ensure()
        sources = {name: rendered_dir / name for name in names}
        if config_file is not None:
            sources[CONFIG_NAME] = config_file
        kept = []
        for name, source in sources.items():
            if not source.is_file() or _is_private(source):
                continue
            (self.directory / name).write_bytes(source.read_bytes())
            kept.append(name)
        if not kept:
            return None
        self._git("add", "--", *kept)
        if not self._git("status", "--porcelain", "--", *kept).strip():
            return None
        summary = self._git("diff", "--cached", "--stat", "--", *kept).strip()
        self._git("commit", "--quiet", "-m", f"{message}\n\n{summary}")
        return self.last()

    def last(self, revision: str = "HEAD") -> Commit:
        """The commit at `revision`."""
        output = self._git("log", "-1", "--format=%H%x00%s%x00%b", revision)
        if not output:
            raise HistoryError(f"no commit {revision!r} in {self.directory}")
        commit_hash, subject, body = output.split("\0", 2)
        return Commit(commit_hash, subject, body.strip())

    def files_at(self, revision: str) -> dict[str, str]:
        """Every rendered file's content at `revision` (not the configuration file)."""
        try:
            names = self._git("ls-tree", "--name-only", revision).split()
        except HistoryError:
            raise HistoryError(
                f"no revision {revision!r} in the config history {self.directory}"
            ) from None
        return {
            name: self._git("show", f"{revision}:{name}") for name in names if name != CONFIG_NAME
        }

    def push(self, remote: str) -> None:
        """Push the history to a configured remote over SSH (BatchMode: never prompts)."""
        env_ssh = "ssh -o BatchMode=yes -o ConnectTimeout=10"
        self._git("-c", f"core.sshCommand={env_ssh}", "push", "--quiet", remote, "HEAD:main")
