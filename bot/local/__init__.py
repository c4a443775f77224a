"""The doors that run the engine from a checkout with a token: the CLI's `sync` and the GitHub Action."""
