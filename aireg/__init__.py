"""aireg: a git-backed registry of the AI tools a company uses."""

__version__ = "0.1.0"
