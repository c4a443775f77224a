"""A repository's `.github/parallel-work-bot.yml`: the model (defaults = the bot's conventions), loading
with line-numbered findings, and reading it from GitHub (default branch, then the owner's `.github`).

`model` and `load` are pure (the CLI and the Action call `load_config_text` on a checkout's file);
`github` reads the file through the contents API with conditional reads.
"""

from __future__ import annotations

from bot.repoconfig.load import CONFIG_PATH, LoadedConfig, load_config_text
from bot.repoconfig.model import DEFAULT_CONFIG, RepoConfig

__all__ = ["CONFIG_PATH", "DEFAULT_CONFIG", "LoadedConfig", "RepoConfig", "load_config_text"]
