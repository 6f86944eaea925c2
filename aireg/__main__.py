"""Entry point for `python -m aireg`."""

from aireg.cli.main import main

if __name__ == "__main__":
    main()
