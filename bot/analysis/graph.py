"""The plan's dependency graph: ids resolved to indices, strongly connected components, a cycle named."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from bot.analysis import diagnostics
from bot.analysis.models import Diagnostic, Stream


def resolve_deps(streams: Sequence[Stream], index: dict[str, int], out: list[Diagnostic]) -> list[list[int]]:
    """Stream indices each stream depends on; self and unknown dependencies are reported and left out."""
    deps: list[list[int]] = []
    for s in streams:
        mine: dict[int, None] = {}
        for d in s.depends_on:
            j = index.get(d)
            if d == s.id:
                out.append(diagnostics.error("self-dependency", f"Stream {s.id} depends on itself", s.line))
            elif j is None:
                message = f"Stream {s.id} depends on Stream {d}, which is not in the plan"
                out.append(diagnostics.error("unknown-dependency", message, s.line))
            else:
                mine[j] = None
        deps.append(list(mine))
    return deps


def sccs(n: int, deps: Sequence[Sequence[int]]) -> list[list[int]]:
    """Strongly connected components, dependencies before their dependents.

    Kahn's topological sort first (fast, and all there is without cycles); Tarjan only on what is left over.
    """
    indegree = [len(d) for d in deps]
    dependents: list[list[int]] = [[] for _ in range(n)]
    for v, dv in enumerate(deps):
        for d in dv:
            dependents[d].append(v)
    order = [v for v in range(n) if indegree[v] == 0]
    for v in order:  # the list grows while we walk it
        for w in dependents[v]:
            indegree[w] -= 1
            if indegree[w] == 0:
                order.append(w)
    comps = [[v] for v in order]
    if len(order) < n:
        done = set(order)
        rest = [v for v in range(n) if v not in done]
        comps.extend(_tarjan(rest, deps, done))
    return comps


def _tarjan(nodes: Sequence[int], deps: Sequence[Sequence[int]], skip: set[int]) -> list[list[int]]:
    """Iterative Tarjan over `nodes` (edges into `skip` ignored), dependencies first."""
    n = len(deps)
    dv_of = {v: [w for w in deps[v] if w not in skip] for v in nodes}
    index = [-1] * n
    low = [0] * n
    on_stack = [False] * n
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for root in nodes:
        if index[root] != -1:
            continue
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        work = [(root, 0)]
        while work:
            v, pi = work[-1]
            dv = dv_of[v]
            if pi < len(dv):
                work[-1] = (v, pi + 1)
                w = dv[pi]
                if index[w] == -1:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                comp: list[int] = []
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp.append(w)
                    if w == v:
                        break
                comp.sort()
                out.append(comp)
    return out


def name_cycle(comp: Sequence[int], deps: Sequence[Sequence[int]], streams: Sequence[Stream]) -> str:
    """The shortest cycle through the component's first stream, as `A → B → A`: each before the next, the
    one arrow convention of everything the bot writes (B waits for A, and A for B)."""
    members = set(comp)
    start = comp[0]
    parent: dict[int, int] = {}
    queue = deque([start])
    end = start
    while queue:
        u = queue.popleft()
        nxt = sorted(w for w in deps[u] if w in members)
        if start in nxt:
            end = u
            break
        for w in nxt:
            if w not in parent and w != start:
                parent[w] = u
                queue.append(w)
    path = [end]
    while path[-1] != start:
        path.append(parent[path[-1]])
    return " → ".join(streams[i].id for i in [start, *path])
