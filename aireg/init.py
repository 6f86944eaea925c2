"""`aireg init`: a new registry from the template, in a new git repository, first commit."""

from __future__ import annotations

import contextlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from aireg import trailers
from aireg.config import CONFIG_FILE
from aireg.errors import EnvError, UsageError
from aireg.gitrepo import Identity

INIT_MESSAGE = trailers.registry_message("init", "registry: {org}")

# Where the template names an aireg release: the pre-commit hook's `rev:`, the GitHub
# actions' `uses: aireg-dev/aireg@REF` and GitLab's AIREG_REF. `aireg init` writes there
# the aireg it runs, so the registry never names a release that does not exist.
_REV_RE = re.compile(r"(?m)^(\s*rev:\s*)v\d[\w.+-]*")
_ACTION_RE = re.compile(r"(aireg-dev/aireg@)v\d[\w.+-]*")
_GITLAB_RE = re.compile(r'(?m)^(\s*AIREG_REF:\s*")v\d[\w.+-]*')
_PINNED_FILES = (".pre-commit-config.yaml", ".github/workflows/aireg.yml",
                 ".github/workflows/aireg-due.yml", ".gitlab-ci.yml")


@dataclass(frozen=True)
class InitResult:
    root: Path
    commit: str
    files: tuple[str, ...]
    examples: tuple[str, ...] = ()


def template_files() -> list[tuple[Path, str]]:
    """(source file, registry-relative path) for every file of the template."""
    from aireg.schema import template_dir

    src = template_dir()
    out = []
    for path in sorted(src.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.name != "__init__.py":
            out.append((path, path.relative_to(src).as_posix()))
    return out


def installed_ref() -> str:
    """The git ref of the aireg that runs, so the registry names one that exists: the commit
    pip installed it from (``pip install git+URL@COMMIT``), or the commit checked out in the
    clone it was installed from (``pip install ./aireg``, editable or not), else its
    version tag (v0.1.0)."""
    import json
    from importlib import metadata
    from urllib.parse import unquote, urlparse

    from aireg import __version__
    from aireg.gitrepo import Git

    try:
        direct = json.loads(metadata.distribution("aireg").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError, AttributeError):
        direct = {}
    commit = (direct.get("vcs_info") or {}).get("commit_id") if isinstance(direct, dict) else None
    url = direct.get("url", "") if isinstance(direct, dict) else ""
    if commit is None and isinstance(url, str) and url.startswith("file://"):
        code, out, _ = Git(Path(unquote(urlparse(url).path))).run_full("rev-parse", "HEAD")
        commit = out.decode("ascii", "replace").strip() if code == 0 else None
    if isinstance(commit, str) and re.fullmatch(r"[0-9a-f]{40}", commit):
        return commit
    return f"v{__version__}"


def pin_versions(rel: str, text: str, ref: str) -> str:
    """The template file `rel` with the aireg release it names set to `ref`."""
    if rel not in _PINNED_FILES:
        return text
    for pattern in (_REV_RE, _ACTION_RE, _GITLAB_RE):
        text = pattern.sub(lambda m: m.group(1) + ref, text)
    return text


def example_admin() -> Identity:
    """Who makes an example registry's first commit: its CTO, an admin of the example."""
    from aireg.example import DOMAIN

    return Identity("Cto", f"cto@{DOMAIN}")


def _files(files: list[tuple[Path, str]], org: str, actor: Identity | None,
           example: bool) -> dict[str, str]:
    """Every file of the new registry: the template with the organization, its roles, the
    aireg release, and the CODEOWNERS those roles give."""
    from aireg import codeowners, config, yamlio
    from aireg.example import DOMAIN as domain

    ref = installed_ref()
    out: dict[str, str] = {}
    for src, rel in files:
        text = src.read_text("utf-8")
        if rel == CONFIG_FILE:
            if example:
                # The example's people; the user, when git knows them, is an admin too.
                admins = {f"cto@{domain}", *([actor.email] if actor else [])}
                roles = {"security": [f"cto@{domain}"], "caio": [f"caio@{domain}"],
                         "admins": sorted(admins)}
            else:
                assert actor is not None
                roles = {"security": [actor.email], "caio": [], "admins": [actor.email]}
            text = yamlio.edit(text, [
                yamlio.Update(("organization",), org),
                *(yamlio.Update(("roles", k), v) for k, v in roles.items()),
            ], file=CONFIG_FILE)
        out[rel] = pin_versions(rel, text, ref)
    # The template's CODEOWNERS is a placeholder: write the one the new roles give.
    cfg_text = out[CONFIG_FILE]
    cfg, problems = config.check(yamlio.load(cfg_text, CONFIG_FILE), CONFIG_FILE, cfg_text)
    if cfg is None or problems:  # pragma: no cover - the shipped template is checked by tests
        raise EnvError(f"aireg's own template is broken ({problems[0].message}); reinstall aireg.")
    out[codeowners.FILE] = codeowners.render(cfg)
    return out


def init(path: Path, org: str | None, example: bool) -> InitResult:
    """Create the registry at `path` (new or empty folder, or a repository without one).

    All or nothing: when anything fails, what this call made (the folder, .git) is removed
    again, so the same command can simply be run again.
    """
    from aireg import transaction
    from aireg.gitrepo import Git

    root = path.resolve()
    if (root / CONFIG_FILE).exists():
        raise UsageError(f"{root} is already an aireg registry ({CONFIG_FILE} exists); "
                         "run aireg commands there, or choose another PATH.")
    files = template_files()
    clashes = [rel for _, rel in files if (root / rel).exists() and rel != "tools/.gitkeep"]
    if clashes:
        raise UsageError(f"{root} already has {clashes[0]}; init into a new or empty folder.")
    made_root = _first_missing(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvError(f"{root} cannot be created ({exc.strerror}); "
                       "choose a writable PATH.") from exc
    git = Git(root)
    made_git = not (root / ".git").exists()
    existing = set(root.rglob("*")) if made_git and made_root is None else set()
    try:
        if made_git:
            git.init()
        # A real registry is made by the user, who becomes its admin: git must know them.
        # An example registry is made by its example people, so it works anywhere.
        user = git.identity_or_none() if example else git.identity()
        org_name = org or root.name
        content = _files(files, org_name, user, example)
        author = example_admin() if example else user
        assert author is not None
        expect: dict[str, str | None] = {rel: None for rel in content}
        if (root / "tools/.gitkeep").exists():
            expect["tools/.gitkeep"] = (root / "tools/.gitkeep").read_text("utf-8", "replace")
        commit, _ = transaction.commit_files(root, git, content, INIT_MESSAGE.format(org=org_name),
                                             author, expect=expect)
        examples: tuple[str, ...] = ()
        if example:
            from aireg import example as example_mod

            examples = tuple(example_mod.populate(root, author))
            commit = git.head() or commit
    except BaseException:
        _undo(root, made_root, made_git, existing)
        raise
    return InitResult(root, commit, tuple(content), examples)


def _first_missing(root: Path) -> Path | None:
    """The outermost folder of `root` that does not exist yet (what mkdir will create)."""
    missing = None
    for folder in (root, *root.parents):
        if folder.exists():
            break
        missing = folder
    return missing


def _undo(root: Path, made_root: Path | None, made_git: bool, existing: set[Path]) -> None:
    """Remove what a failed init made: the folders it created, or its .git and every file
    and folder that was not there before. In a repository that was there, the commit is
    all or nothing (aireg.transaction): nothing to remove."""
    if made_root is not None:
        shutil.rmtree(made_root, ignore_errors=True)
    elif made_git:
        shutil.rmtree(root / ".git", ignore_errors=True)
        for path in sorted(root.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            if path not in existing:
                with contextlib.suppress(OSError):
                    path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
