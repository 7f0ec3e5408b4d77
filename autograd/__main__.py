"""`python -m autograd EXPR NAME=NUMBER ...`: see autograd.commandline.cli."""

from .commandline.cli import main

raise SystemExit(main())
