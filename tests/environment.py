"""The whole environment of a process a test or benchmark starts: fixed basics plus its own settings.

Nothing of the caller's environment is passed on (an operator's BOT_LOGIN, LOG_LEVEL or WEBHOOK_PATH would
change what the process does), so a test reads only the environment it set.
"""

from __future__ import annotations

from pathlib import Path

from tests.paths import ROOT

#: Where a test's processes find git, pg_ctl, gh and the like.
PATH = "/usr/local/bin:/usr/bin:/bin"


def process_env(home: Path | str, **settings: str) -> dict[str, str]:
    """A fixed PATH and locale, `home` as HOME, this tree first on PYTHONPATH, then `settings` (which win)."""
    return {"PATH": PATH, "LANG": "C.UTF-8", "HOME": str(home), "PYTHONPATH": str(ROOT), **settings}
