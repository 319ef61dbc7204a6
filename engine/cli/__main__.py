"""``python -m engine.cli`` runs the ``treaty`` command."""

from engine.cli import main

main()
