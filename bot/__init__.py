"""parallel-work-bot: a GitHub App that turns a parallel work analysis into GitHub structure."""

__version__ = "0.1.0"
