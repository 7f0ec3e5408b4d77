"""The command line (`chainrule`, `python -m autograd`) and its formula language."""
