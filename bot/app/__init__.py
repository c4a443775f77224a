"""The hosted GitHub App: the web intake (webhooks, health, metrics) and the one-process server."""
