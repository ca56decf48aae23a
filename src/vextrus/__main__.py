"""`python -m vextrus` is the `vextrus` command."""

from vextrus.cli import main

main()
