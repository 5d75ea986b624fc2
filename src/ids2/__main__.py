"""`python -m ids2` is the same as the `ids2` command."""

from ids2.cli import main

raise SystemExit(main())
