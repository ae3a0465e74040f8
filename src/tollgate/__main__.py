"""`python -m tollgate` runs the `tollgate` command."""

from tollgate.cli.main import main

if __name__ == "__main__":
    main()
