"""The whole environment of a process a test or benchmark starts: fixed basics plus its own settings.

Nothing of the caller's environment is passed on (an operator's BOT_LOGIN, LOG_LEVEL or WEBHOOK_PATH would
change what the process does), so a test reads only the environment it set.
"""

from __future__ import annotations

from pathlib import Path

from tests.paths import ROOT

#: Where a test's processes find git, gh, runuser and the like (Debian's PATH for root).
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def process_env(home: Path | str, **settings: str) -> dict[str, str]:
    """A fixed PATH and locale, `home` as HOME, this tree first on PYTHONPATH, then `settings` (which win)."""
    return {"PATH": PATH, "LANG": "C.UTF-8", "HOME": str(home), "PYTHONPATH": str(ROOT), **settings}
