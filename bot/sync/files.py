"""Plan files: CCPM analyses and task files for an issue, read over GitHub's API or from a local checkout."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import logging
import re
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote, unquote

import gidgethub
import gidgethub.abc

from bot.analysis.planfiles import PlanKind, PlanPath, PlanPaths, by_name
from bot.analysis.reader import read_task
from bot.conventions import MAX_PLAN_FILE_BYTES, MAX_PLAN_FILES, SOURCE, marker
from bot.sync.labels import LABEL_CACHE

log = logging.getLogger("bot.sync.files")

#: GitHub's answers that mean "no files to read here": no `contents` permission, no such repository or
#: ref, an empty repository. Anything else is a failure (retried by the client, then the job).
NO_FILES = frozenset({403, 404, 409})
#: A repository address safe inside a markdown link (GitHub's html_url always is).
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.:-]{1,255}(?:/[A-Za-z0-9._~%-]{1,200}){1,6}")


@dataclass(frozen=True)
class PlanFile:
    """One plan file as read: its path in the repository, text, kind, and where it was read from."""

    path: str
    text: str
    kind: PlanKind
    #: The git blob sha of the text (the same on GitHub and in a checkout).
    blob: str
    #: The commit the text was read at; None for a local file whose text is not committed.
    commit: str | None = None
    #: The repository's web address (`https://github.com/OWNER/NAME`), for the link to the file.
    repo_url: str | None = None

    @property
    def url(self) -> str | None:
        """The file at its commit on GitHub (None when it is not committed, or the repository is unknown)."""
        base = (self.repo_url or "").rstrip("/")
        if self.commit is None or not _SAFE_URL.fullmatch(base):
            return None
        return f"{base}/blob/{self.commit}/{quote(self.path)}"

    def at(self, commit: str) -> PlanFile:
        """The same file linked at another commit (one where it had the same text)."""
        return replace(self, commit=commit)


class PlanFiles(Protocol):
    """Where a sync finds plan files: "the files for issue N", and every issue that has some."""

    async def for_issue(self, number: int) -> list[PlanFile]:
        """Issue `number`'s analyses and task files, in path order."""
        ...

    async def issues(self) -> list[int]:
        """Every issue some plan file is for, ascending."""
        ...


def git_blob_sha(data: bytes) -> str:
    """`git hash-object` of a file's bytes."""
    return hashlib.sha1(f"blob {len(data)}\0".encode() + data).hexdigest()


def named_issue(text: str) -> int | None:
    """The issue an analysis's frontmatter names (`issue: N`)."""
    fm = read_task(text)
    return fm.issue if fm is not None and fm.issue and fm.issue > 0 else None


class _Finder:
    """What both finders share: a listing of plan paths, read lazily, matched to issues."""

    def __init__(self, patterns: Sequence[str] | None = None) -> None:
        #: Which paths are plan files: the repository's `analysis_paths` (None: the default).
        self.plan_paths = PlanPaths.of(patterns)
        self._listing: dict[str, str] | None = None  # path -> blob sha
        self._texts: dict[str, PlanFile | None] = {}

    async def _list(self) -> dict[str, str]:
        raise NotImplementedError

    async def _read(self, path: str, blob: str) -> PlanFile | None:
        raise NotImplementedError

    async def listing(self) -> dict[str, str]:
        """Plan paths -> blob sha, in path order (at most MAX_PLAN_FILES)."""
        if self._listing is None:
            found = await self._list()
            paths = sorted(found)
            if len(paths) > MAX_PLAN_FILES:
                log.warning("%d plan files; reading the first %d", len(paths), MAX_PLAN_FILES)
            self._listing = {p: found[p] for p in paths[:MAX_PLAN_FILES]}
        return self._listing

    async def file(self, path: str) -> PlanFile | None:
        """One listed file's text (read once per finder); None when it cannot be read as text."""
        listing = await self.listing()
        if path not in listing:
            return None
        if path not in self._texts:
            self._texts[path] = await self._read(path, listing[path])
        return self._texts[path]

    async def for_issue(self, number: int) -> list[PlanFile]:
        """Files named after the issue, and analyses named without a number whose frontmatter names it."""
        out: list[PlanFile] = []
        for path in await self.listing():
            kind = self.kind(path)
            if kind is None or (kind.number is not None and kind.number != number):
                continue
            got = await self.file(path)
            if got is None:
                continue
            if kind.number is None and named_issue(got.text) != number:
                continue
            out.append(got)
        return out

    async def issues(self, paths: Sequence[str] | None = None, *, also: RepoFiles | None = None) -> list[int]:
        """Every issue a plan file among `paths` (default: every listed one) is for: a file named after its
        issue needs no read; one named without a number is read for the issue its frontmatter names (here,
        else in `also`: a removed file at the commit before)."""
        found: set[int] = set()
        for path in await self.listing() if paths is None else paths:
            kind = self.kind(path)
            if kind is None:
                continue
            if kind.number is not None:
                found.add(kind.number)
                continue
            for files in (self, also) if also is not None else (self,):
                got = await files.file(path)
                named = named_issue(got.text) if got is not None else None
                if named is not None:
                    found.add(named)
                    break
        return sorted(found)

    def kind(self, path: str) -> PlanPath | None:
        """What a listed path is."""
        return self.plan_paths.kind(path)


class RepoFiles(_Finder):
    """Plan files of a repository on GitHub: its default branch (or `ref`), one listing per finder.

    Reads: the repository (its default branch, conditional), the branch's commit (compare, conditional),
    the commit's tree (recursive, conditional), then each file's content at that commit when asked for.
    `patterns`: the repository's `analysis_paths` (None: the default).
    """

    def __init__(self, gh: gidgethub.abc.GitHubAPI, owner: str, repo: str, *, ref: str | None = None,
                 patterns: Sequence[str] | None = None) -> None:
        super().__init__(patterns)
        self.gh, self.owner, self.repo, self.ref = gh, owner, repo, ref
        self.commit: str | None = None
        self.repo_url: str | None = None

    async def _get(self, path: str) -> Any:
        try:
            return await self.gh.getitem(path)
        except gidgethub.BadRequest as exc:
            if exc.status_code in NO_FILES:
                log.info("no plan files read: %s %s", int(exc.status_code), path)
                return None
            raise

    async def _list(self) -> dict[str, str]:
        base = f"/repos/{self.owner}/{self.repo}"
        repository = await self._get(base)
        if not isinstance(repository, dict):
            return {}
        self.repo_url = str(repository.get("html_url") or "") or None
        LABEL_CACHE.learn_repository(LABEL_CACHE.key(self.gh.base_url, self.owner, self.repo), repository)
        ref = self.ref or str(repository.get("default_branch") or "")
        if not ref:
            return {}
        if re.fullmatch(r"[0-9a-f]{40}", ref):
            self.commit = ref
        else:
            compared = await self._get(f"{base}/compare/{quote(ref, safe='')}...{quote(ref, safe='')}"
                                       "?per_page=1")
            sha = ((compared.get("base_commit") or {}).get("sha") if isinstance(compared, dict) else None)
            if not isinstance(sha, str) or not re.fullmatch(r"[0-9a-f]{40}", sha):
                return {}
            self.commit = sha
        tree = await self._get(f"{base}/git/trees/{self.commit}?recursive=1")
        if not isinstance(tree, dict):
            return {}
        if tree.get("truncated"):
            log.warning("the tree of %s/%s is truncated: some plan files may be missed",
                        self.owner, self.repo)
        return {
            str(e["path"]): str(e["sha"]) for e in tree.get("tree") or []
            if e.get("type") == "blob" and self.kind(str(e.get("path") or "")) is not None
        }

    async def _read(self, path: str, blob: str) -> PlanFile | None:
        kind = self.kind(path)
        answer = await self._get(
            f"/repos/{self.owner}/{self.repo}/contents/{quote(path)}?ref={self.commit}")
        if kind is None or not isinstance(answer, dict) or answer.get("encoding") != "base64":
            return None  # a directory, or a file too big for the contents API
        try:
            text = base64.b64decode(str(answer.get("content") or "")).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return PlanFile(path, text, kind.kind, blob, self.commit, self.repo_url)


#: Runs a git command in a folder: (arguments, cwd) -> stdout, or None when git fails or is missing.
GitRunner = Callable[[Sequence[str], Path], "str | None"]


def run_git(args: Sequence[str], cwd: Path) -> str | None:
    """`git ARGS` in `cwd`: its output, or None when git is missing or fails."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=30,
                              check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


class LocalFiles(_Finder):
    """Plan files of a local checkout (the CLI and the Action): PATHs are files or folders under `top`.

    A file committed as it is links to GitHub at the last commit that changed it; a file with changes not
    committed is read as it is, named but not linked. A file outside the repository's plan paths is
    classified by its name alone (`12-analysis.md`; `12.md` only when given by name). No PATHs: the folders
    of the plan paths (`patterns`, the checkout's `analysis_paths`; None: the default).
    """

    def __init__(self, top: Path, paths: Sequence[Path] = (), *, repo_url: str | None = None,
                 git: GitRunner = run_git, patterns: Sequence[str] | None = None) -> None:
        super().__init__(patterns)
        self.top = top.resolve()
        given = paths or [Path(f) for f in self.plan_paths.folders()]
        self.paths = [p if p.is_absolute() else self.top / p for p in given]
        self.repo_url = repo_url
        self.git = git
        self._named: dict[str, Path] = {}
        self._kinds: dict[str, PlanPath] = {}

    def kind(self, path: str) -> PlanPath | None:
        return self._kinds.get(path)

    def _classify(self, rel: str, given: bool) -> PlanPath | None:
        """By the plan paths; elsewhere an analysis by its name, a task file only when given by name."""
        found = self.plan_paths.kind(rel)
        return found if found is not None else by_name(rel.rsplit("/", 1)[-1], given=given)

    async def _list(self) -> dict[str, str]:
        return await asyncio.to_thread(self._walk)

    def _walk(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for given in self.paths:
            named = given.is_file()
            files = sorted(given.rglob("*.md")) if given.is_dir() else [given] if named else []
            for file in files:
                try:
                    rel = file.resolve().relative_to(self.top).as_posix()
                except ValueError:
                    rel = file.name  # outside the checkout: known by its name only
                kind = self._classify(rel, named)
                if kind is None or rel in found:
                    continue
                try:
                    if file.stat().st_size > MAX_PLAN_FILE_BYTES:
                        continue  # as GitHub's contents API: too big to be read as text
                    found[rel] = git_blob_sha(file.read_bytes())
                except OSError:
                    continue
                self._named[rel] = file
                self._kinds[rel] = kind
        return found

    async def _read(self, path: str, blob: str) -> PlanFile | None:
        return await asyncio.to_thread(self._read_file, path, blob)

    def _read_file(self, path: str, blob: str) -> PlanFile | None:
        kind = self.kind(path)
        file = self._named.get(path)
        if kind is None or file is None:
            return None
        try:
            text = file.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        commit: str | None = None
        if self.git(["status", "--porcelain", "--", path], self.top) == "":
            last = (self.git(["log", "-1", "--format=%H", "--", path], self.top) or "").strip()
            commit = last if re.fullmatch(r"[0-9a-f]{40}", last) else None
        return PlanFile(path, text, kind.kind, blob, commit, self.repo_url)


# ---- the summary's record of its source file -------------------------------------------------------------

_SOURCE_RE = re.compile(
    r"<!-- parallel-work-bot:source file=([A-Za-z0-9%._~/-]{1,3000}) blob=([0-9a-f]{40})"
    r"(?: commit=([0-9a-f]{40}))? -->")


@dataclass(frozen=True)
class RecordedSource:
    """The plan file a summary says it was read from."""

    path: str
    blob: str
    commit: str | None


def source_marker(file: PlanFile) -> str:
    """The hidden line recording the plan's file in the summary (found again by `recorded_source`)."""
    attrs = f"file={quote(file.path)} blob={file.blob}" + (f" commit={file.commit}" if file.commit else "")
    return marker(SOURCE, attrs)


def recorded_source(body: str | None) -> RecordedSource | None:
    """The plan file a summary's body records, if any."""
    m = _SOURCE_RE.search(body or "")
    return RecordedSource(unquote(m.group(1)), m.group(2), m.group(3)) if m else None
