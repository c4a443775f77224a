"""File overlaps between streams that can run at the same time (glob-aware), and shared files they touch.

Near-linear: which streams are ordered with which is a bitset per stream (a Python int), and overlapping
entries are found through an index of paths and directory prefixes, never by comparing all pairs; a pair of
streams with enough overlaps named is not compared again, and a work budget bounds what is left.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.analysis import diagnostics, globs
from bot.analysis.limits import (
    MAX_FILES_PER_PAIR,
    MAX_OVERLAP_WARNINGS,
    MAX_OVERLAP_WORK,
    MAX_PAIRS_PER_PATH,
    MAX_PATH_CHARS,
)
from bot.analysis.models import Analysis, Diagnostic, Stream


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


class _Budget:
    """Work units left for one overlap check (entry comparisons, automaton states): linear in any input."""

    def __init__(self, units: int) -> None:
        self.left = units
        self.exhausted = False

    def take(self, units: int) -> bool:
        """Spend `units`; False once the budget is gone (and from then on)."""
        self.left -= units
        if self.left < 0:
            self.exhausted = True
        return not self.exhausted


class _Bucket:
    """Entries (each with the streams naming it) and the bitset of all those streams, to skip it whole."""

    def __init__(self) -> None:
        self.entries: list[str] = []
        self.mask = 0


class _FileIndex:
    """Stream file entries, each distinct entry once with its streams, indexed by literal path, by directory
    prefix, and globs by their directory."""

    def __init__(self, streams: Sequence[Stream]) -> None:
        self.literal: dict[str, list[int]] = {}
        self.glob: dict[str, list[int]] = {}
        self.long_globs = 0  # globs past MAX_PATH_CHARS: compared for equality only
        for i, s in enumerate(streams):
            seen: set[str] = set()
            for raw in s.files:
                path = globs.normalize_path(raw)
                if not path or path in seen:
                    continue
                seen.add(path)
                if globs.is_glob(path) and len(path) <= MAX_PATH_CHARS:
                    self.glob.setdefault(path, []).append(i)
                else:
                    self.long_globs += globs.is_glob(path)
                    self.literal.setdefault(path, []).append(i)
        self.mask: dict[str, int] = {}
        #: Per entry, the literal text every match starts and ends with (a cheap test before the automaton).
        self.ends: dict[str, tuple[str, str]] = {}
        for table in (self.literal, self.glob):
            for entry, users in table.items():
                self.ends[entry] = globs.literal_ends(entry)
                m = 0
                for i in users:
                    m |= 1 << i
                self.mask[entry] = m
        self._under: dict[str, _Bucket] | None = None
        self._glob_at: dict[str, _Bucket] = {}
        self._glob_under: dict[str, _Bucket] = {}
        for g in self.glob:
            d = globs.glob_dir(g)
            self._add(self._glob_at, d, g)
            for a in globs.ancestors(d):  # `d` itself included
                self._add(self._glob_under, a, g)

    def _add(self, table: dict[str, _Bucket], key: str, entry: str) -> None:
        bucket = table.get(key)
        if bucket is None:
            bucket = table[key] = _Bucket()
        bucket.entries.append(entry)
        bucket.mask |= self.mask[entry]

    def literals_under(self, directory: str) -> _Bucket | None:
        """Literal paths inside `directory` (built on first use: only plans with globs pay for it)."""
        if self._under is None:
            self._under = {}
            for path in self.literal:
                for a in globs.ancestors(path):
                    self._add(self._under, a, path)
        return self._under.get(directory)

    def near(self, pattern: str) -> list[_Bucket]:
        """Buckets of entries that could overlap the glob `pattern`: literals under its directory, globs in
        it, below it or above it."""
        d = globs.glob_dir(pattern)
        out = [b for b in (self.literals_under(d), self._glob_under.get(d)) if b is not None]
        out.extend(b for a in globs.ancestors(d) if a != d and (b := self._glob_at.get(a)) is not None)
        return out


def _bits(mask: int) -> Iterable[int]:
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def _popcount(mask: int) -> int:
    return bin(mask).count("1")


class _Pairs:
    """Overlapping entries per pair of concurrent streams: the first few named, the rest counted."""

    def __init__(self, n: int) -> None:
        self.files: dict[tuple[int, int], list[str]] = {}
        self.count: dict[tuple[int, int], int] = {}
        #: Per stream, the streams it already has MAX_FILES_PER_PAIR overlaps with (not compared again).
        self.full = [0] * n
        self.inexact: set[tuple[int, int]] = set()

    def add(self, a: int, b: int, what: str, *, saturate: bool) -> None:
        key = (a, b) if a < b else (b, a)
        files = self.files.setdefault(key, [])
        self.count[key] = self.count.get(key, 0) + 1
        if len(files) < MAX_FILES_PER_PAIR:
            files.append(what)
        elif saturate:
            self.full[a] |= 1 << b
            self.full[b] |= 1 << a
            self.inexact.add(key)


def overlap_warnings(analysis: Analysis, streams: Sequence[Stream], related: Related) -> list[Diagnostic]:
    """Files (and Coordination Points' shared files) touched by streams that can run at the same time.

    Bounded by MAX_OVERLAP_WORK: past it the check stops and says so (nothing is left out silently).
    """
    idx = _FileIndex(streams)
    budget = _Budget(MAX_OVERLAP_WORK)
    pairs = _Pairs(len(streams))
    crowded: list[tuple[str, list[int]]] = []

    for table in (idx.literal, idx.glob):
        for path, users in table.items():
            if len(users) < 2:
                continue
            found, everyone = _concurrent(users, related, MAX_PAIRS_PER_PATH)
            if len(found) > MAX_PAIRS_PER_PATH:
                crowded.append((path, list(_bits(everyone))))
            else:
                for a, b in found:
                    pairs.add(a, b, f'"{path}"', saturate=False)

    unchecked = 0
    glob_list = list(idx.glob.items())
    for pos, (g, users) in enumerate(glob_list):
        if budget.exhausted:
            unchecked = len(glob_list) - pos
            break
        _compare_glob(g, users, idx, related, pairs, crowded, budget, streams)

    out: list[Diagnostic] = []
    found_pairs = sorted(pairs.files.items())
    extra = max(0, len(found_pairs) + len(crowded) - MAX_OVERLAP_WARNINGS)
    for key, files in found_pairs[:MAX_OVERLAP_WARNINGS]:
        a, b = key
        more = pairs.count[key] - len(files)
        shown = ", ".join(files)
        if key in pairs.inexact:
            shown += " and more"
        elif more:
            shown += f" and {more} more"
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

    shared_unchecked = 0
    shared_files = list(dict.fromkeys(globs.normalize_path(f) for f in analysis.coordination.shared_files))
    for pos, shared in enumerate(shared_files):
        if not shared:
            continue
        if budget.exhausted:
            shared_unchecked = len(shared_files) - pos
            break
        _, involved = _concurrent(list(_touching(shared, idx, budget)), related, None)
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
    out.extend(_partial(idx, budget, unchecked, shared_unchecked))
    return out


def _partial(idx: _FileIndex, budget: _Budget, unchecked: int, shared_unchecked: int) -> list[Diagnostic]:
    """What the overlap check left out: long globs compared as plain paths, work past the budget."""
    out: list[Diagnostic] = []
    if idx.long_globs:
        message = (
            f"{idx.long_globs} file patterns are longer than {MAX_PATH_CHARS} characters; "
            "they were compared as plain paths, not as globs"
        )
        out.append(diagnostics.info("overlap-check-partial", message))
    if budget.exhausted:
        left = [f"{unchecked} of {len(idx.glob)} distinct globs"] if unchecked else []
        left += [f"{shared_unchecked} shared files"] if shared_unchecked else []
        what = " and ".join(left) if left else "some comparisons"
        message = (
            f"The file overlap check stopped after {MAX_OVERLAP_WORK} steps; {what} were not fully "
            "compared, so some overlaps may be missing"
        )
        out.append(diagnostics.info("overlap-check-partial", message))
    return out


def _compare_glob(
    g: str,
    users: Sequence[int],
    idx: _FileIndex,
    related: Related,
    pairs: _Pairs,
    crowded: list[tuple[str, list[int]]],
    budget: _Budget,
    streams: Sequence[Stream],
) -> None:
    """Overlaps between the glob `g` (named by `users`) and every entry near it, each unordered pair once."""
    open_of = {i: ~related[i] & ~pairs.full[i] & ~(1 << i) for i in users}
    open_any = 0
    for m in open_of.values():
        open_any |= m
    for bucket in idx.near(g):
        if not budget.take(1):
            return
        if not bucket.mask & open_any:
            continue  # every stream here is ordered with g's streams, or already reported enough
        ends = idx.ends
        g_start, g_end = ends[g]
        for entry in bucket.entries:
            budget.left -= 1
            if budget.left < 0:
                budget.exhausted = True
                return
            emask = idx.mask[entry]
            if not emask & open_any or entry == g or (entry < g and entry in idx.glob):
                continue  # nobody left to pair with; each pair of globs once (the smaller one compares)
            e_start, e_end = ends[entry]
            if not (
                (g_start.startswith(e_start) or e_start.startswith(g_start))
                and (g_end.endswith(e_end) or e_end.endswith(g_end))
            ):
                continue  # the literal starts or ends differ: no path matches both
            partners = {i: m & emask for i, m in open_of.items() if m & emask}
            if not partners:
                continue
            got, states = globs.overlaps_within(g, entry, max(1, budget.left))
            if not budget.take(states) or got is None:
                return
            if not got:
                continue
            total = sum(_popcount(m) for m in partners.values())
            if total > MAX_PAIRS_PER_PATH:
                involved = 0
                for i, m in partners.items():
                    involved |= (1 << i) | m
                crowded.append((f"{g}\" ~ \"{entry}", list(_bits(involved))))
                continue
            for i, m in partners.items():
                for j in _bits(m):
                    pairs.add(i, j, _pair_desc(g, i, entry, j, streams), saturate=True)
                    open_of[i] &= ~pairs.full[i]
            open_any = 0
            for m in open_of.values():
                open_any |= m


def _touching(pattern: str, idx: _FileIndex, budget: _Budget) -> dict[int, str]:
    """Streams with an entry overlapping `pattern`, each with that entry (within the budget)."""
    out: dict[int, str] = {}
    if pattern in idx.mask:
        for i in _bits(idx.mask[pattern]):
            out.setdefault(i, pattern)
    start, end = globs.literal_ends(pattern)
    is_glob = globs.is_glob(pattern)
    buckets = idx.near(pattern)
    if not is_glob and buckets and buckets[0] is idx.literals_under(globs.glob_dir(pattern)):
        buckets = buckets[1:]  # a plain path overlaps another plain path only when equal (done above)
    for bucket in buckets:
        for entry in bucket.entries:
            budget.left -= 1
            if budget.left < 0:
                budget.exhausted = True
                return out
            e_start, e_end = idx.ends[entry]
            if not (
                (start.startswith(e_start) or e_start.startswith(start))
                and (end.endswith(e_end) or e_end.endswith(end))
            ):
                continue
            got, states = globs.overlaps_within(pattern, entry, max(1, budget.left))
            if not budget.take(states) or got is None:
                return out
            if got:
                for i in _bits(idx.mask[entry]):
                    out.setdefault(i, entry)
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
