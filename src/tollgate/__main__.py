"""`python -m tollgate` runs the `tollgate` command."""

from tollgate.cli.main import main

main()
