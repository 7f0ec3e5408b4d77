"""`python -m autograd EXPR NAME=NUMBER ...`: see autograd.cli."""

from .cli import main

raise SystemExit(main())
