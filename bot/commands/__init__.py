"""The command-line subcommands, one module each, registered by `bot.cli`."""
