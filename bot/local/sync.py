"""`sync` from a checkout: every issue its plan files name, through the same engine and markers as the App."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import aiohttp

from bot.github.client import GitHubClient
from bot.local.context import (
    GITHUB_COM_API,
    LocalError,
    Runner,
    checkout_config,
    find_login,
    find_repo,
    find_token,
    identity,
    run_command,
    top_of,
)
from bot.repoconfig.github import read_repo_config
from bot.sync.engine import SyncResult, sync_issue
from bot.sync.files import LocalFiles

#: How often the progress display looks at the client's write count.
POLL_SECONDS = 0.05


@dataclass
class SyncOptions:
    """What `parallel-work-bot sync` was asked."""

    paths: list[Path] = field(default_factory=list)
    repo: str | None = None
    api_url: str = GITHUB_COM_API
    dry_run: bool = False
    login: str | None = None
    peers: list[str] = field(default_factory=list)
    cwd: Path = field(default_factory=Path.cwd)


class Display:
    """Writes done of planned and the time left: a bar (rich) on a terminal, plain lines elsewhere."""

    def __init__(self, out: TextIO, terminal: bool, total: int) -> None:
        self.out, self.terminal, self.total = out, terminal, total
        self.done = 0
        self._bar: Any = None
        self._task: Any = None
        self._started = time.monotonic()

    @contextlib.contextmanager
    def shown(self) -> Iterator[Display]:
        """Show the display for the duration of the block."""
        if not self.terminal:
            print(f"{self.total} writes planned", file=self.out, flush=True)
            yield self
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(file=self.out, force_terminal=True)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("writes"), TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                      console=console, transient=False) as bar:
            self._bar = bar
            self._task = bar.add_task("sync", total=max(self.total, 1))
            yield self
            bar.update(self._task, completed=self.done, total=max(self.total, self.done, 1))

    def issue(self, number: int) -> None:
        """A new issue's sync starts."""
        if self._bar is not None:
            self._bar.update(self._task, description=f"#{number}")
        else:
            print(f"#{number}: syncing", file=self.out, flush=True)

    def advance(self, done: int) -> None:
        """`done` writes are made so far."""
        if done == self.done:
            return
        self.done = done
        self.total = max(self.total, done)
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=self.total)
            return
        elapsed = time.monotonic() - self._started
        left = elapsed / done * (self.total - done) if done else 0.0
        print(f"writes {done} of {self.total}, about {left:.0f} s left", file=self.out, flush=True)


@contextlib.asynccontextmanager
async def _watching(gh: GitHubClient, display: Display, base: int) -> AsyncIterator[None]:
    """Follow the client's write count while the block runs."""
    start = gh.stats.writes

    async def poll() -> None:
        while True:
            display.advance(base + gh.stats.writes - start)
            await asyncio.sleep(POLL_SECONDS)

    task = asyncio.create_task(poll())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        display.advance(base + gh.stats.writes - start)


async def sync_checkout(
    options: SyncOptions, env: Mapping[str, str], *, out: TextIO, terminal: bool, run: Runner = run_command,
    counted: list[int] | None = None,
) -> int:
    """Sync every issue the plan files under `options.paths` are for; 0 ok, 1 a plan has errors.

    A dry run first counts the writes (the display's total); then each issue is synced in turn, writes
    paced as the App's. Interrupted, it leaves GitHub as a run cut short leaves it: a re-run converges.
    `counted` (when given) receives the writes made so far, even when the run is cancelled. The
    configuration is the checkout's `.github/parallel-work-bot.yml` (else the repository's, as the App
    reads it); its `analysis_paths` say which files are plans. A token of a person's (a login not ending
    `[bot]`) may assign GitHub's Copilot coding agent.
    """
    cwd = options.cwd
    token = find_token(env, run, cwd, options.api_url)
    owner, name = find_repo(options.repo, run, cwd)
    me = identity(find_login(options.login, env, run, cwd, options.api_url), options.peers)
    top = top_of(cwd, run)
    user_token = not me.login.endswith("[bot]")
    async with aiohttp.ClientSession() as session:
        gh = GitHubClient(session, base_url=options.api_url, oauth_token=token)
        try:
            repository: Any = await gh.getitem(f"/repos/{owner}/{name}")
        except Exception as exc:
            raise LocalError(f"cannot read {owner}/{name} at {options.api_url}: {exc}") from exc

        def git(args: Sequence[str], where: Path) -> str | None:
            return run(["git", *args], where)

        loaded = await asyncio.to_thread(checkout_config, top) or await read_repo_config(gh, owner, name)
        for found in loaded.findings:
            print(f"configuration: {found.message}", file=out)
        paths = [p if p.is_absolute() else cwd / p for p in options.paths]
        files = LocalFiles(top, paths, repo_url=str(repository.get("html_url") or "") or None, git=git,
                           patterns=loaded.config.analysis_paths)
        numbers = await files.issues()
        if not numbers:
            print(f"no plan files found (analyses: {', '.join(files.plan_paths.patterns)})", file=out)
            return 0
        kwargs: dict[str, Any] = {"me": me, "files": files, "config": loaded, "user_token": user_token}
        planned: dict[int, SyncResult] = {}
        for number in numbers:
            planned[number] = await sync_issue(gh, owner, name, number, dry_run=True, **kwargs)
        if options.dry_run:
            for number, result in planned.items():
                print(f"#{number}: {len(result.planned)} writes", file=out)
                for w in result.planned:
                    print(f"  {w.method} {w.path}  {w.description}", file=out)
            return 1 if any(r.errors for r in planned.values()) else 0
        display = Display(out, terminal, sum(len(r.planned) for r in planned.values()))
        errors = False
        made = 0
        with display.shown():
            for number in numbers:
                display.issue(number)
                try:
                    async with _watching(gh, display, made):
                        result = await sync_issue(gh, owner, name, number, **kwargs)
                finally:
                    made = display.done
                    if counted is not None:
                        counted[:] = [made]
                errors = errors or result.errors
        print(f"done: {made} writes on {len(numbers)} issues of {owner}/{name}", file=out)
        return 1 if errors else 0
