"""``python -m drsim`` runs the command-line interface (same as ``drsim``)."""

from drsim.cli import main

if __name__ == "__main__":
    main()
