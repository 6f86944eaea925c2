"""The one harness for building test registries: Acme's people and config, one git runner,
acting as someone, and a registry made by `aireg init` (conftest, helpers_git and faultkit
build on these)."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path
from typing import Any

# Acme's people: who each is in ACME_CONFIG.
LES = "les@acme.example"  # marketing member, owns the tools of most tests
ANA = "ana@acme.example"  # marketing member
BOB = "bob@acme.example"  # engineering (which lists no members), not in marketing
CTO = "cto@acme.example"  # roles.security
CAIO = "caio@acme.example"  # roles.caio
ADMIN = "admin@acme.example"  # roles.admins
MAL = "mal@acme.example"  # nobody in particular

GIT_TIMEOUT = 60

_ACME = """\
schema: aireg/v1
organization: Acme
departments:
  marketing: {members: [les@acme.example, ana@acme.example]}
  engineering: {}
  sales: {}
roles:
  security: [cto@acme.example]
  caio: [caio@acme.example]
  admins: [admin@acme.example]
data_classes: [public, synthetic, internal, confidential, customer-personal, regulated]
policy:
  pilot_data: [public, synthetic]
  measure_within_days: 90
  reassess_every_days: 180
  require_signed_reviews: %(signed)s
  allowed_signers: .aireg/allowed_signers
security_checklist:
  - id: data-classes
    ask: Is every data class the tool will see allowed to leave for this vendor?
  - id: training
    ask: Is the vendor barred from training on our data?
"""


def acme_config(signed: bool = False) -> str:
    """Acme's aireg.yaml: three departments (marketing lists its members), one person in
    each role, the SPEC's data classes and policy; reviews signed if `signed`."""
    return _ACME % {"signed": str(signed).lower()}


ACME_CONFIG = acme_config()


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def git(root: Path, *args: str, env: dict[str, str] | None = None,
        stdin: str | None = None) -> str:
    """Run plain git in `root` (never a repository an inherited GIT_DIR names); its stdout,
    or an AssertionError with git's stderr."""
    full = {k: v for k, v in os.environ.items()
            if k not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE")}
    full.update(env or {})
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                          env=full, input=stdin, timeout=GIT_TIMEOUT, check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {done.stderr}")
    return done.stdout


def acting_as(email: str) -> dict[str, str]:
    """The variables that make git, and so aireg, see `email` as the person acting."""
    return {
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "user.email", "GIT_CONFIG_VALUE_0": email,
        "GIT_CONFIG_KEY_1": "user.name", "GIT_CONFIG_VALUE_1": email.split("@")[0].title(),
    }


def author_env(email: str) -> dict[str, str]:
    """A plain `git commit` made by `email` (author and committer)."""
    name = email.split("@")[0]
    return {"GIT_AUTHOR_EMAIL": email, "GIT_COMMITTER_EMAIL": email,
            "GIT_AUTHOR_NAME": name, "GIT_COMMITTER_NAME": name}


def init_acme(root: Path, runner: Any | None = None) -> Path:
    """A registry made by the real `aireg init`, with ACME_CONFIG committed by the admin."""
    from typer.testing import CliRunner

    from aireg.cli.main import app

    result = (runner or CliRunner()).invoke(app, ["init", str(root), "--org", "Acme"])
    assert result.exit_code == 0, result.output
    (root / "aireg.yaml").write_text(ACME_CONFIG)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "configure Acme", env=author_env(ADMIN))
    return root
