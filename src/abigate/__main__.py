"""``python -m abigate`` runs the command-line interface."""

from abigate.cli import entry_point

if __name__ == "__main__":  # pragma: no cover
    entry_point()
