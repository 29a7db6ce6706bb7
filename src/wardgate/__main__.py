"""``python -m wardgate`` runs the ``wardgate`` command."""

from wardgate.cli.main import main

raise SystemExit(main())
