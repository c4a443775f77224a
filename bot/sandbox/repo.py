"""The local GitHub's git model: blobs, trees and commits hashed as git does, branches, tags and diffs."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

#: The sha git writes for "no commit" (a push that creates or deletes a ref).
ZERO_SHA = "0" * 40
#: GitHub answers a recursive tree with at most this many entries (and `truncated: true` past it).
MAX_TREE_ENTRIES = 100_000
#: The contents API returns a file's content only up to this size (1 MB); bigger files come with
#: `encoding: "none"` and empty content, as on GitHub.
MAX_CONTENT_BYTES = 1024 * 1024
#: The contents API lists at most this many entries of a directory.
MAX_DIRECTORY_ENTRIES = 1000
FILE_MODE = "100644"
TREE_MODE = "040000"


def git_sha(kind: str, data: bytes) -> str:
    """The sha1 git gives an object of this kind (`blob`, `tree`, `commit`) and content."""
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data).hexdigest()


def blob_sha(data: bytes) -> str:
    """`git hash-object` of a file's bytes."""
    return git_sha("blob", data)


@dataclass(frozen=True)
class Blob:
    """A file's bytes and their git sha."""

    data: bytes
    sha: str

    @classmethod
    def of(cls, data: bytes) -> Blob:
        """The blob of these bytes."""
        return cls(data, blob_sha(data))


@dataclass(frozen=True)
class TreeEntry:
    """One entry of a git tree: a file (`blob`) or a directory (`tree`)."""

    name: str
    mode: str
    type: str
    sha: str
    size: int | None = None


@dataclass
class Commit:
    """A commit: its tree, parent, message, author and the whole file tree at that commit."""

    sha: str
    tree: str
    parent: str | None
    message: str
    author: str  # a login
    name: str
    email: str
    timestamp: float
    files: dict[str, Blob]
    #: Directory path ("" for the root) -> tree sha, for every directory of `files`.
    dirs: dict[str, str]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """One file of a diff, as GitHub's compare lists it."""

    status: str  # added, modified, removed, renamed
    filename: str
    sha: str
    additions: int
    deletions: int
    patch: str | None
    previous_filename: str | None = None


def clean_path(path: str) -> str:
    """A repository path without leading/trailing slashes; ValueError for empty, `.` or `..` segments."""
    parts = path.strip("/").split("/")
    if not path.strip("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a repository file path: {path!r}")
    return "/".join(parts)


class Git:
    """One repository's objects and refs. Commits are made only by `commit` (a push of file changes)."""

    def __init__(self) -> None:
        self.branches: dict[str, str] = {}
        self.tags: dict[str, str] = {}
        self.commits: dict[str, Commit] = {}
        #: Tree sha -> its direct entries (sorted as git sorts them).
        self.trees: dict[str, list[TreeEntry]] = {}
        #: Entries above this many in a recursive tree answer are cut (`truncated: true`); settable for tests.
        self.max_tree_entries = MAX_TREE_ENTRIES

    @property
    def empty(self) -> bool:
        """No commit yet (GitHub: "This repository is empty." / "Git Repository is empty.")."""
        return not self.commits

    # ---- writing ----------------------------------------------------------------------------------------
    def commit(
        self,
        branch: str,
        changes: Mapping[str, str | bytes | None],
        *,
        message: str,
        author: str,
        name: str,
        email: str,
        timestamp: float,
        start: str | None = None,
    ) -> Commit:
        """Commit file changes (text or bytes; None deletes) on `branch`, which is created at `start` (a
        commit sha; None: no parent) when it does not exist yet. ValueError for a path that is not a file
        path, a file where a directory is (or the reverse), or deleting a file that does not exist."""
        head = self.branches.get(branch, start)
        parent = self.commits[head] if head is not None else None
        files = dict(parent.files) if parent else {}
        added: list[str] = []
        removed: list[str] = []
        modified: list[str] = []
        for raw_path, content in changes.items():
            path = clean_path(raw_path)
            if content is None:
                if path not in files:
                    raise ValueError(f"cannot delete {path!r}: no such file on {branch!r}")
                del files[path]
                removed.append(path)
                continue
            blob = Blob.of(content.encode() if isinstance(content, str) else bytes(content))
            old = files.get(path)
            files[path] = blob
            if old is None:
                added.append(path)
            elif old.sha != blob.sha:
                modified.append(path)
        self._check_shape(files)
        dirs = self._write_trees(files)
        timestamp = int(timestamp)
        text = f"tree {dirs['']}\n"
        if parent is not None:
            text += f"parent {parent.sha}\n"
        who = f"{name} <{email}> {timestamp} +0000"
        text += f"author {who}\ncommitter {who}\n\n{message}\n"
        sha = git_sha("commit", text.encode())
        commit = Commit(
            sha=sha, tree=dirs[""], parent=parent.sha if parent else None, message=message, author=author,
            name=name, email=email, timestamp=timestamp, files=files, dirs=dirs,
            added=sorted(added), removed=sorted(removed), modified=sorted(modified),
        )
        self.commits[sha] = commit
        self.branches[branch] = sha
        return commit

    @staticmethod
    def _check_shape(files: Mapping[str, Blob]) -> None:
        """A path cannot be both a file and a directory."""
        for path in files:
            parts = path.split("/")
            for i in range(1, len(parts)):
                if "/".join(parts[:i]) in files:
                    raise ValueError(f"{'/'.join(parts[:i])!r} is a file, so {path!r} cannot exist")

    def _write_trees(self, files: Mapping[str, Blob]) -> dict[str, str]:
        """Hash every directory's tree object (children first); returns directory path -> tree sha."""
        children: dict[str, dict[str, TreeEntry]] = {"": {}}
        for path, blob in files.items():
            parent, _, name = path.rpartition("/")
            entry = TreeEntry(name, FILE_MODE, "blob", blob.sha, len(blob.data))
            children.setdefault(parent, {})[name] = entry
            while parent:
                children.setdefault(parent, {})
                parent = parent.rpartition("/")[0]
        dirs: dict[str, str] = {}
        for path in sorted(children, key=lambda p: -p.count("/") if p else 1):
            entries = children[path]
            ordered = sorted(entries.values(), key=lambda e: e.name + ("/" if e.type == "tree" else ""))
            raw = b"".join(
                f"{e.mode.lstrip('0')} {e.name}\0".encode() + bytes.fromhex(e.sha) for e in ordered
            )
            sha = git_sha("tree", raw)
            self.trees[sha] = ordered
            dirs[path] = sha
            if path:
                parent, _, name = path.rpartition("/")
                children[parent][name] = TreeEntry(name, TREE_MODE, "tree", sha)
        return dirs

    def tag(self, name: str, ref: str) -> str:
        """A lightweight tag at `ref`; returns the commit sha. KeyError for an unknown ref."""
        commit = self.resolve(ref)
        if commit is None:
            raise KeyError(ref)
        self.tags[name] = commit.sha
        return commit.sha

    # ---- reading ----------------------------------------------------------------------------------------
    def resolve(self, ref: str) -> Commit | None:
        """The commit a ref names: a branch, a tag (also as `refs/heads/X`, `refs/tags/X`, `heads/X`,
        `tags/X`), a full sha, or an unambiguous prefix of at least 7 hex digits."""
        for prefix, refs in (("refs/heads/", self.branches), ("refs/tags/", self.tags),
                             ("heads/", self.branches), ("tags/", self.tags)):
            if ref.startswith(prefix) and ref[len(prefix):] in refs:
                return self.commits[refs[ref[len(prefix):]]]
        if ref in self.branches:
            return self.commits[self.branches[ref]]
        if ref in self.tags:
            return self.commits[self.tags[ref]]
        if ref in self.commits:
            return self.commits[ref]
        if len(ref) >= 7 and all(c in "0123456789abcdef" for c in ref.lower()):
            found = [c for sha, c in self.commits.items() if sha.startswith(ref.lower())]
            if len(found) == 1:
                return found[0]
        return None

    def resolve_tree(self, ref: str) -> str | None:
        """The tree sha a `tree_sha` parameter names: a tree's own sha, or a ref's root tree."""
        if ref in self.trees:
            return ref
        commit = self.resolve(ref)
        return commit.tree if commit is not None else None

    def walk(self, tree: str, prefix: str = "") -> Iterator[tuple[str, TreeEntry]]:
        """(path, entry) of every entry under a tree, depth-first in git's order (a directory before its
        contents)."""
        for entry in self.trees[tree]:
            path = f"{prefix}{entry.name}"
            yield path, entry
            if entry.type == "tree":
                yield from self.walk(entry.sha, path + "/")

    def ancestors(self, sha: str) -> list[str]:
        """`sha` and its ancestors, newest first."""
        out: list[str] = []
        cur: str | None = sha
        while cur is not None:
            out.append(cur)
            cur = self.commits[cur].parent
        return out

    def merge_base(self, base: str, head: str) -> str | None:
        """The newest commit both `base` and `head` descend from (None: unrelated histories)."""
        seen = set(self.ancestors(base))
        return next((c for c in self.ancestors(head) if c in seen), None)

    def between(self, base: str | None, head: str) -> list[Commit]:
        """Commits reachable from `head` but not from `base`, oldest first."""
        stop = set(self.ancestors(base)) if base is not None else set()
        chain = []
        for sha in self.ancestors(head):
            if sha in stop:
                break
            chain.append(self.commits[sha])
        return chain[::-1]


def diff(old: Mapping[str, Blob], new: Mapping[str, Blob]) -> list[Change]:
    """The files that differ between two file trees, by file name; a removed file whose exact bytes reappear
    under a new name is `renamed` (GitHub also finds renames of similar files; exact ones suffice here)."""
    added = [p for p in new if p not in old]
    removed = [p for p in old if p not in new]
    by_sha: dict[str, list[str]] = {}
    for path in removed:
        by_sha.setdefault(old[path].sha, []).append(path)
    changes: list[Change] = []
    for path in added:
        sources = by_sha.get(new[path].sha)
        if sources:
            source = sources.pop(0)
            removed.remove(source)
            changes.append(Change("renamed", path, new[path].sha, 0, 0, None, source))
        else:
            changes.append(_change("added", path, None, new[path]))
    for path in removed:
        changes.append(_change("removed", path, old[path], None))
    for path in new:
        if path in old and old[path].sha != new[path].sha:
            changes.append(_change("modified", path, old[path], new[path]))
    return sorted(changes, key=lambda c: c.filename)


def _lines(blob: Blob | None) -> list[str] | None:
    """A file's lines, or None for bytes that are not UTF-8 text (GitHub shows no patch for binaries)."""
    if blob is None:
        return []
    try:
        return blob.data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None


def _change(status: str, path: str, old: Blob | None, new: Blob | None) -> Change:
    """A change with its line counts and unified-diff patch (hunks only, as GitHub's `patch`)."""
    blob = new if new is not None else old
    sha = blob.sha if blob is not None else ""
    before, after = _lines(old), _lines(new)
    if before is None or after is None:
        return Change(status, path, sha, 0, 0, None)
    hunks = list(difflib.unified_diff(before, after, lineterm="", n=3))[2:]
    additions = sum(1 for h in hunks if h.startswith("+"))
    deletions = sum(1 for h in hunks if h.startswith("-"))
    return Change(status, path, sha, additions, deletions, "\n".join(hunks) if hunks else None)
