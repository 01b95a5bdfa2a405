"""``python -m glassgrad``: the same as the ``glassgrad`` command."""

from glassgrad.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
