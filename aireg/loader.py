"""Reading many records at once: each file read once and parsed with libyaml."""

from __future__ import annotations

from pathlib import Path

from aireg.repo import RecordFile, read_file


def read_many(root: Path, rels: list[str]) -> list[RecordFile]:
    """Read and parse `rels` under `root`, in order; a broken file is a RecordFile with a
    problem, never an exception, so one bad file never hides the others."""
    return [read_file(root, rel) for rel in rels]
