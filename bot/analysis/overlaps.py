"""File overlaps between streams that can run at the same time (glob-aware), and shared files they touch.

Near-linear: which streams are ordered with which is a bitset per stream (a Python int), and overlapping
entries are found through an index of paths and directory prefixes, never by comparing all pairs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.analysis import diagnostics, globs
from bot.analysis.models import Analysis, Diagnostic, Stream

#: Above this many concurrent pairs on one path, report the path once with its streams instead of each pair.
MAX_PAIRS_PER_PATH = 10
#: At most this many file-overlap warnings; the rest are counted in one last warning.
MAX_OVERLAP_WARNINGS = 100


class Related:
    """Per stream, a bitset of the streams ordered with it (ancestors, descendants, itself, its cycle).

    Built on first use and per stream on demand: plans whose streams share no file never pay for it.
    """

    def __init__(self, comps: Sequence[Sequence[int]], deps: Sequence[Sequence[int]]) -> None:
        self._comps, self._deps = comps, deps
        self._comp_of = [0] * len(deps)
        for ci, comp in enumerate(comps):
            for v in comp:
                self._comp_of[v] = ci
        self._tables: tuple[list[int], list[int], list[int]] | None = None
        self._cache: dict[int, int] = {}

    def _build(self) -> tuple[list[int], list[int], list[int]]:
        comps, comp_of, deps = self._comps, self._comp_of, self._deps
        anc = [0] * len(comps)
        desc = [0] * len(comps)
        bits = [0] * len(comps)
        for ci, comp in enumerate(comps):
            b = 0
            for v in comp:
                b |= 1 << v
            bits[ci] = b
        for ci, comp in enumerate(comps):  # dependencies first
            a = 0
            for v in comp:
                for d in deps[v]:
                    dc = comp_of[d]
                    if dc != ci:
                        a |= anc[dc] | bits[dc]
            anc[ci] = a
        for ci in range(len(comps) - 1, -1, -1):  # dependents first
            mine = desc[ci] | bits[ci]
            for v in comps[ci]:
                for d in deps[v]:
                    dc = comp_of[d]
                    if dc != ci:
                        desc[dc] |= mine
        return anc, desc, bits

    def __getitem__(self, v: int) -> int:
        found = self._cache.get(v)
        if found is None:
            if self._tables is None:
                self._tables = self._build()
            anc, desc, bits = self._tables
            c = self._comp_of[v]
            found = self._cache[v] = anc[c] | desc[c] | bits[c]
        return found


class _FileIndex:
    """Stream file entries indexed by literal path, by directory prefix, and globs by their directory."""

    def __init__(self, streams: Sequence[Stream]) -> None:
        self.literal: dict[str, list[int]] = {}
        self.globs: list[tuple[str, int]] = []
        for i, s in enumerate(streams):
            seen: set[str] = set()
            for raw in s.files:
                path = globs.normalize_path(raw)
                if not path or path in seen:
                    continue
                seen.add(path)
                if globs.is_glob(path):
                    self.globs.append((path, i))
                else:
                    self.literal.setdefault(path, []).append(i)
        self._under: dict[str, list[str]] | None = None
        self._glob_at: dict[str, list[tuple[str, int]]] = {}
        self._glob_under: dict[str, list[tuple[str, int]]] = {}
        for entry in self.globs:
            d = globs.glob_dir(entry[0])
            self._glob_at.setdefault(d, []).append(entry)
            for a in globs.ancestors(d):
                self._glob_under.setdefault(a, []).append(entry)
            if d:
                self._glob_under.setdefault(d, []).append(entry)

    def literals_under(self, directory: str) -> list[str]:
        """Literal paths inside `directory` (built on first use: only plans with globs pay for it)."""
        if self._under is None:
            under: dict[str, list[str]] = {}
            for path in self.literal:
                for a in globs.ancestors(path):
                    under.setdefault(a, []).append(path)
            self._under = under
        return self._under.get(directory, [])

    def globs_near(self, pattern: str) -> list[tuple[str, int]]:
        """Glob entries that could overlap `pattern`: those in its directory, above it or below it."""
        d = globs.glob_dir(pattern)
        out = list(self._glob_under.get(d, []))
        for a in globs.ancestors(d):
            if a != d:
                out.extend(self._glob_at.get(a, []))
        return out

    def touching(self, pattern: str) -> dict[int, str]:
        """Streams with an entry overlapping `pattern`, each with that entry."""
        out: dict[int, str] = {}
        if globs.is_glob(pattern):
            for path in self.literals_under(globs.glob_dir(pattern)):
                if globs.overlaps(pattern, path):
                    for i in self.literal[path]:
                        out.setdefault(i, path)
        else:
            for i in self.literal.get(pattern, []):
                out.setdefault(i, pattern)
        for g, i in self.globs_near(pattern):
            if globs.overlaps(pattern, g):
                out.setdefault(i, g)
        return out


def _bits(mask: int) -> Iterable[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def overlap_warnings(analysis: Analysis, streams: Sequence[Stream], related: Related) -> list[Diagnostic]:
    """Files (and Coordination Points' shared files) touched by streams that can run at the same time."""
    idx = _FileIndex(streams)
    pairs: dict[tuple[int, int], list[str]] = {}
    crowded: list[tuple[str, list[int]]] = []

    def add_pair(a: int, b: int, what: str) -> None:
        key = (a, b) if a < b else (b, a)
        found = pairs.setdefault(key, [])
        if what not in found:
            found.append(what)

    for path, users in idx.literal.items():
        if len(users) < 2:
            continue
        found, everyone = _concurrent(users, related, MAX_PAIRS_PER_PATH)
        if len(found) > MAX_PAIRS_PER_PATH:
            crowded.append((path, list(_bits(everyone))))
        else:
            for a, b in found:
                add_pair(a, b, f'"{path}"')

    for g, i in idx.globs:
        for path in idx.literals_under(globs.glob_dir(g)):
            users = [j for j in idx.literal[path] if j != i and not (related[i] >> j) & 1]
            if users and globs.overlaps(g, path):
                for j in users:
                    add_pair(i, j, _pair_desc(g, i, path, j, streams))
        for h, j in idx.globs_near(g):
            if j != i and not (related[i] >> j) & 1 and globs.overlaps(g, h):
                add_pair(i, j, _pair_desc(g, i, h, j, streams))

    out: list[Diagnostic] = []
    found_pairs = sorted(pairs.items())
    extra = max(0, len(found_pairs) + len(crowded) - MAX_OVERLAP_WARNINGS)
    for (a, b), files in found_pairs[:MAX_OVERLAP_WARNINGS]:
        shown = ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")
        out.append(
            diagnostics.warning(
                "file-overlap",
                f"Streams {streams[a].id} and {streams[b].id} can run at the same "
                f"time and both touch {shown}",
                streams[b].line,
            )
        )
    for path, crowd in crowded[: max(0, MAX_OVERLAP_WARNINGS - len(found_pairs))]:
        ids = diagnostics.id_list([streams[i].id for i in crowd], 12)
        out.append(
            diagnostics.warning(
                "file-overlap",
                f'"{path}" is touched by {len(crowd)} streams that can run at the same time: {ids}',
                streams[crowd[0]].line,
            )
        )
    if extra:
        message = f"… and {extra} more file overlaps between concurrent streams"
        out.append(diagnostics.warning("file-overlap", message))

    for raw in analysis.coordination.shared_files:
        shared = globs.normalize_path(raw)
        if not shared:
            continue
        _, involved = _concurrent(list(idx.touching(shared)), related, None)
        if involved:
            ids = diagnostics.id_list([streams[i].id for i in _bits(involved)], 12)
            out.append(
                diagnostics.warning(
                    "shared-file-concurrent",
                    f'Shared file "{shared}" (Coordination Points) is touched by streams {ids}, '
                    "which can run at the same time",
                    analysis.coordination.line,
                )
            )
    return out


def _concurrent(
    users: Sequence[int], related: Related, max_pairs: int | None
) -> tuple[list[tuple[int, int]], int]:
    """Pairs (i < j) of `users` that can run at the same time, and a bitset of every stream in such a pair.

    Pairs are gathered until there are more than `max_pairs` (None: none are gathered, only the bitset).
    """
    mask = 0
    for i in users:
        mask |= 1 << i
    pairs: list[tuple[int, int]] = []
    involved = 0
    for i in users:
        partners = mask & ~related[i]
        if partners:
            involved |= (1 << i) | partners
            if max_pairs is not None and len(pairs) <= max_pairs:
                pairs.extend((i, j) for j in _bits(partners) if j > i)
    return pairs, involved


def _pair_desc(p: str, i: int, q: str, j: int, streams: Sequence[Stream]) -> str:
    if p == q:
        return f'"{p}"'
    if i > j:
        p, i, q, j = q, j, p, i
    return f'"{p}" ({streams[i].id}) ~ "{q}" ({streams[j].id})'
