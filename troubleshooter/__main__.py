"""Entry point for `python -m troubleshooter`."""

from troubleshooter.cli import main

main()
