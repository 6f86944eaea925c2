"""Objects of the history by id, through one `git cat-file --batch`: blobs, records, trees, configs.

A path in a commit is looked up by walking the commit's trees, so the answer carries the
entry's mode: only a plain file (100644, 100755) is a record, a config or a key file; a
gitlink, a symbolic link or a folder at the path is "no file there". Parsed records and
configs are cached by blob id, and `forget` bounds memory on long histories.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from aireg import recordtext
from aireg.config import CONFIG_FILE, Config
from aireg.gitlog import FILE_MODES

if TYPE_CHECKING:
    from aireg.gitrepo import CatFile

Entry = tuple[str, str]  # (mode, object id)


class Broken:
    """A blob that is not a readable record: why, for the message."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def parse_record(raw: bytes, path: str) -> dict[str, Any] | Broken:
    """A record's fields from its blob, or why it cannot be one (size, breaks, YAML, shape)."""
    from aireg import yamlio

    refused = recordtext.problem(raw)
    if refused is not None:
        why, line, _ = refused
        return Broken(why if line is None else f"line {line}: {why}")
    try:
        data = yamlio.load(raw, path)
    except yamlio.YamlError as exc:
        return Broken(exc.reason if exc.line is None else f"line {exc.line}: {exc.reason}")
    if not isinstance(data, dict):
        return Broken("it is not a mapping of fields")
    return data


def parse_config(raw: bytes) -> Config | None:
    """The config of an aireg.yaml blob, None when it is not a valid one (it grants nothing)."""
    from aireg import config as config_mod
    from aireg import yamlio

    try:
        data = yamlio.load(raw, CONFIG_FILE)
    except yamlio.YamlError:
        return None
    try:
        cfg, _ = config_mod.check(data, CONFIG_FILE, raw.decode("utf-8", "replace"))
    except Exception:  # a config too broken to check grants nothing
        return None
    return cfg


def empty_config() -> Config:
    from aireg import config as config_mod

    return config_mod.build({})


def _tree_entries(data: bytes, hexlen: int) -> dict[str, Entry]:
    """A tree object's entries: name -> (mode, id), modes written with six digits."""
    out: dict[str, Entry] = {}
    raw = hexlen // 2
    i, n = 0, len(data)
    while i < n:
        sp = data.index(b" ", i)
        nul = data.index(b"\0", sp)
        mode = data[i:sp].decode("ascii").rjust(6, "0")
        name = data[sp + 1:nul].decode("utf-8", "surrogateescape")
        out[name] = (mode, data[nul + 1:nul + 1 + raw].hex())
        i = nul + 1 + raw
    return out


class Objects:
    """Blob contents, trees, parsed records and configs, read through one cat-file process."""

    def __init__(self, cat: CatFile) -> None:
        self.cat = cat
        self.raw: dict[str, bytes | None] = {}
        self.records: dict[str, dict[str, Any] | Broken] = {}
        self.configs: dict[str, Config | None] = {}
        self.texts: dict[str, str] = {}
        self.trees: dict[str, dict[str, Entry]] = {}
        self.roots: dict[str, str | None] = {}  # commit -> its tree

    # -- blobs ------------------------------------------------------------------------------

    def prefetch(self, oids: Iterable[str]) -> None:
        want = [o for o in dict.fromkeys(oids) if o not in self.raw and o not in self.records]
        for oid, item in zip(want, self.cat.read_many(want), strict=True):
            self.raw[oid] = item[2] if item is not None and item[1] == "blob" else None

    def blob(self, oid: str) -> bytes | None:
        if oid not in self.raw:
            self.prefetch([oid])
        return self.raw[oid]

    def record(self, oid: str | None, path: str) -> dict[str, Any] | Broken | None:
        if oid is None:
            return None
        hit = self.records.get(oid)
        if hit is not None:
            return hit
        raw = self.blob(oid)
        self.raw.pop(oid, None)
        result = Broken("its content could not be read") if raw is None \
            else parse_record(raw, path)
        self.records[oid] = result
        return result

    def config(self, oid: str | None) -> Config | None:
        if oid is None:
            return None
        if oid not in self.configs:
            raw = self.blob(oid)
            self.configs[oid] = parse_config(raw) if raw is not None else None
        return self.configs[oid]

    def text(self, oid: str | None) -> str:
        if oid is None:
            return ""
        hit = self.texts.get(oid)
        if hit is None:
            raw = self.blob(oid)
            hit = self.texts[oid] = raw.decode("utf-8", "replace") if raw is not None else ""
        return hit

    # -- paths in commits -------------------------------------------------------------------

    def _root_tree(self, rev: str) -> str | None:
        if rev not in self.roots:
            got = self.cat.read_many([rev])[0]
            tree = None
            if got is not None and got[1] == "commit" and got[2].startswith(b"tree "):
                tree = got[2][5:got[2].index(b"\n")].decode("ascii")
            elif got is not None and got[1] == "tree":
                tree = got[0]
            self.roots[rev] = tree
        return self.roots[rev]

    def first_parent(self, rev: str) -> str | None:
        """The first parent of commit `rev` (None for a root commit)."""
        got = self.cat.read_many([rev])[0]
        if got is None or got[1] != "commit":
            return None
        for line in got[2].split(b"\n\n", 1)[0].split(b"\n"):
            if line.startswith(b"parent "):
                return line[7:].decode("ascii")
        return None

    def readable_before(self, rev: str | None, path: str) -> dict[str, Any] | None:
        """The record at `path` in `rev`, or where it cannot be read there, at the nearest
        first-parent ancestor where it can (None when the path holds no file there)."""
        while rev is not None:
            found = self.entry(rev, path)
            if found is None or found[0] not in FILE_MODES:
                return None
            rec = self.record(found[1], path)
            if isinstance(rec, dict):
                return rec
            rev = self.first_parent(rev)
        return None

    def _tree(self, oid: str) -> dict[str, Entry]:
        hit = self.trees.get(oid)
        if hit is None:
            got = self.cat.read_many([oid])[0]
            hit = _tree_entries(got[2], len(oid)) if got is not None and got[1] == "tree" else {}
            if len(self.trees) > 64:
                self.trees.clear()
            self.trees[oid] = hit
        return hit

    def entry(self, rev: str, path: str) -> Entry | None:
        """(mode, id) of `path` in commit `rev`, or None when there is nothing there."""
        tree = self._root_tree(rev)
        parts = path.split("/")
        for n, part in enumerate(parts):
            if tree is None:
                return None
            found = self._tree(tree).get(part)
            if found is None:
                return None
            if n == len(parts) - 1:
                return found
            tree = found[1] if found[0] == "040000" else None
        return None

    def file_at(self, rev: str, path: str) -> tuple[str, bytes] | None:
        """(blob id, content) of `path` in commit `rev` where it is a plain file, else None."""
        found = self.entry(rev, path)
        if found is None or found[0] not in FILE_MODES:
            return None
        raw = self.blob(found[1])
        return None if raw is None else (found[1], raw)

    def files_at(self, rev: str, paths: Sequence[str]) -> dict[str, str]:
        """path -> blob id for those of `paths` that are plain files in `rev`, blobs fetched."""
        out: dict[str, str] = {}
        for path in paths:
            found = self.entry(rev, path)
            if found is not None and found[0] in FILE_MODES:
                out[path] = found[1]
        self.prefetch(o for o in out.values() if o not in self.records)
        return out

    def forget(self, keep: set[str]) -> None:
        """Drop parsed records other than `keep`, so memory stays bounded on long histories."""
        self.records = {k: v for k, v in self.records.items() if k in keep}
        self.raw = {k: v for k, v in self.raw.items() if k in keep}
        self.roots.clear()
