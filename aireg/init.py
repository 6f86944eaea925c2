"""`aireg init`: a new registry from the template, in a new git repository, first commit."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from aireg import trailers
from aireg.config import CONFIG_FILE
from aireg.errors import EnvError, UsageError

INIT_MESSAGE = trailers.registry_message("init", "registry: {org}")


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


def init(path: Path, org: str | None, example: bool) -> InitResult:
    """Create the registry at `path` (new or empty folder, or a repository without one)."""
    from aireg import yamlio
    from aireg.gitrepo import Git
    from aireg.repo import write_text_atomic

    root = path.resolve()
    if (root / CONFIG_FILE).exists():
        raise UsageError(f"{root} is already an aireg registry ({CONFIG_FILE} exists); "
                         "run aireg commands there, or choose another PATH.")
    files = template_files()
    clashes = [rel for _, rel in files if (root / rel).exists() and rel != "tools/.gitkeep"]
    if clashes:
        raise UsageError(f"{root} already has {clashes[0]}; init into a new or empty folder.")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvError(f"{root} cannot be created ({exc.strerror}); choose a writable PATH.") from exc
    git = Git(root)
    if not (root / ".git").exists():
        git.init()
    actor = git.identity()  # before writing anything: an unconfigured git is exit 3
    written: list[str] = []
    try:
        for src, rel in files:
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            if rel == CONFIG_FILE:
                org_name = org or root.name
                from aireg.example import DOMAIN as domain

                def mutate(cfg: object, org_name: str = org_name, domain: str = domain) -> None:
                    assert isinstance(cfg, dict)
                    cfg["organization"] = org_name
                    roles = cfg["roles"]
                    if example:
                        # The example's people live in the actor's domain; the actor is admin.
                        roles["security"] = [f"cto@{domain}"]
                        roles["caio"] = [f"caio@{domain}"]
                        roles["admins"] = sorted({actor.email, f"cto@{domain}"})
                    else:
                        roles["security"] = [actor.email]
                        roles["caio"] = []
                        roles["admins"] = [actor.email]

                text = yamlio.edit(src.read_text("utf-8"), mutate)
                write_text_atomic(dest, text, rel)
            else:
                shutil.copyfile(src, dest)
            written.append(rel)
        # The template's CODEOWNERS is a placeholder: write the one the new roles give.
        from aireg import codeowners, config

        write_text_atomic(root / codeowners.FILE, codeowners.render(config.load(root)),
                          codeowners.FILE)
        commit = git.commit_paths(written, INIT_MESSAGE.format(org=org or root.name), actor)
    except BaseException:
        for rel in written:
            (root / rel).unlink(missing_ok=True)
        raise
    examples: tuple[str, ...] = ()
    if example:
        from aireg import example as example_mod

        examples = tuple(example_mod.populate(root, actor))
        commit = git.head() or commit
    return InitResult(root, commit, tuple(written), examples)
