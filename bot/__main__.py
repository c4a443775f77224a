"""Lets `python -m bot` run the command line."""

from bot.cli import main

raise SystemExit(main())
