"""How jobs are retried: procrastinate's exponential strategy, plus re-scheduling at a rate-limit reset."""

from __future__ import annotations

import datetime
import time

import attr
from procrastinate import RetryStrategy, jobs
from procrastinate.retry import RetryDecision

from bot.github.errors import RateLimitWait


@attr.dataclass(kw_only=True)
class JobRetry(RetryStrategy):
    """procrastinate's exponential retries, plus: `RateLimitWait` re-schedules the job at its reset time.

    Rate-limit waits are not failures: they are re-scheduled up to `max_rate_limit_waits` times (a day of
    hourly resets) whatever `max_attempts` says. The job leaves the worker while it waits.
    """

    max_rate_limit_waits: int = 30

    def get_retry_decision(self, *, exception: BaseException, job: jobs.Job) -> RetryDecision | None:
        if isinstance(exception, RateLimitWait):
            if job.attempts >= self.max_rate_limit_waits:
                return None
            reset = max(exception.reset_at, time.time())
            return RetryDecision(retry_at=datetime.datetime.fromtimestamp(reset, tz=datetime.UTC))
        decision: RetryDecision | None = super().get_retry_decision(exception=exception, job=job)
        return decision


DEFAULT_RETRY = JobRetry(max_attempts=5, exponential_wait=2)
