"""``python -m eli5_compat``: the eli5-compat command."""
from .cli import main

raise SystemExit(main())
