"""The GitHub client layer: gidgethub plus API version, ETag reads, paced writes, retries, app auth."""

from .auth import AppAuth, InstallationToken, InstallationTokenProvider
from .client import API_VERSION, DEFAULT_BASE_URL, GitHubClient, TokenProvider
from .errors import ConnectionFailed, OutcomeUnknown, RateLimitWait
from .etag import new_etag_cache
from .pacing import InProcessPacer, Pacer
from .retry import RetryPolicy
from .stats import ClientStats

__all__ = [
    "API_VERSION",
    "DEFAULT_BASE_URL",
    "AppAuth",
    "ClientStats",
    "ConnectionFailed",
    "GitHubClient",
    "InProcessPacer",
    "InstallationToken",
    "InstallationTokenProvider",
    "OutcomeUnknown",
    "Pacer",
    "RateLimitWait",
    "RetryPolicy",
    "TokenProvider",
    "new_etag_cache",
]
