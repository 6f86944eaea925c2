"""The one YAML package: strict loading with positions, dumping, and edits that keep comments.

Only this package imports yaml (PyYAML) or ruamel.yaml. The modules: `load` (reading rules
and YamlError), `locate` (positions for problems), `dump` (new files), `edit` (changes to
existing files that keep comments).
"""

from __future__ import annotations

from aireg.yamlio.dump import dump, dump_many
from aireg.yamlio.edit import Update, add_to_mapping, apply, edit
from aireg.yamlio.load import YamlError, load, load_mapping
from aireg.yamlio.locate import locate

__all__ = [
    "Update", "YamlError", "add_to_mapping", "apply", "dump", "dump_many", "edit", "load",
    "load_mapping", "locate",
]
