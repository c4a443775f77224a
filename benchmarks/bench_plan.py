"""Speed of read + check + render, and of reading alone: the corpus against two baselines; synthetic plans.

The fair baseline is the least a reader must do: load the frontmatter with PyYAML (its C loader when
built) and make one pass over the lines, noting headings and bold field labels. The second, a full
CommonMark tokenisation (markdown-it-py), is kept for comparison with earlier figures; the fair baseline is
also shown with PyYAML's pure-Python loader (what `yaml.safe_load` uses), to compare with the issue's figures.

Run: python3 benchmarks/bench_plan.py  (prints figures; not a test)
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import speed_line
from bot.analysis.checker import check_plan
from bot.analysis.reader import read_analysis
from bot.analysis.render import render_summary
from tests.paths import CORPUS, SEED


def read_only(text: str) -> int:
    """Read one document (what the baselines do: no check, no render); returns its stream count."""
    analysis = read_analysis(text)
    return 0 if analysis is None else len(analysis.streams)


def full(text: str) -> int:
    """Read + check + render one document; returns the summary length."""
    analysis = read_analysis(text)
    if analysis is None:
        return 0
    return len(render_summary(check_plan(analysis)))


_MD = MarkdownIt("commonmark").enable("table")


def baseline(text: str) -> int:
    """Only load the frontmatter with PyYAML and tokenise the body with markdown-it-py."""
    body = text
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end > 0:
            yaml.safe_load(text[3:end])
            body = text[end + 4 :]
    return len(_MD.parse(body))


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def least(text: str, loader: type[yaml.SafeLoader] = _LOADER) -> int:
    """PyYAML on the frontmatter, then one pass over the lines: headings and `**Label**:` fields."""
    body = text
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end > 0:
            yaml.load(text[3:end], Loader=loader)
            body = text[end + 4 :]
    found = 0
    for line in body.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("#") or (stripped.startswith("**") and ":" in stripped):
            found += 1
    return found


def least_pure(text: str) -> int:
    """The same with PyYAML's pure-Python loader (`yaml.safe_load`), the baseline the issue measured."""
    return least(text, yaml.SafeLoader)


def per_pass(fn: Callable[[str], int], docs: list[str], repeat: int) -> float:
    """Best-of-`repeat` seconds for one pass over all documents."""
    return best_of(lambda: [fn(d) for d in docs], repeat)


def best_of(work: Callable[[], object], repeat: int) -> float:
    """Best-of-`repeat` seconds of `work()`."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - t0)
    return best


def synthetic(n: int, seed: int = 0) -> str:
    """A template-shaped analysis: n streams, a random DAG (0-3 dependencies each), 3 files per stream."""
    rng = random.Random(seed)
    out = [
        f"---\nissue: 1\ntitle: Synthetic {n}\nestimated_hours: {n * 2}\nparallelization_factor: 3.0\n---",
        "",
        "# Parallel Work Analysis: Issue #1",
        "",
        "## Parallel Streams",
        "",
    ]
    for i in range(1, n + 1):
        k = min(i - 1, rng.randint(0, 3))
        deps = sorted(rng.sample(range(1, i), k))
        files = [f"src/mod{rng.randrange(n)}/file{rng.randrange(3)}.ts" for _ in range(3)]
        out += [
            f"### Stream {i}: Work item {i}",
            f"**Scope**: Part {i} of the work",
            "**Files**:",
            *[f"- `{f}`" for f in files],
            "**Agent Type**: backend-specialist",
            "**Can Start**: "
            + ("immediately" if not deps else "after " + ", ".join(f"Stream {d}" for d in deps)),
            f"**Estimated Hours**: {rng.randint(1, 4)}",
            "**Dependencies**: " + (", ".join(f"Stream {d}" for d in deps) if deps else "none"),
            "",
        ]
    return "\n".join(out) + "\n"


def main() -> None:
    docs = [p.read_text(encoding="utf-8") for p in sorted((CORPUS / "docs").glob("*.md"))]
    docs.append(SEED.read_text(encoding="utf-8"))
    for d in docs:  # warm up (imports, regex compilation, caches)
        full(d)
        read_only(d)
        baseline(d)
        least(d)
        least_pure(d)
    ours = per_pass(full, docs, 7)
    reading = per_pass(read_only, docs, 7)
    analyses = [a for d in docs if (a := read_analysis(d)) is not None]
    reports = [check_plan(a) for a in analyses]
    checking = best_of(lambda: [check_plan(a) for a in analyses], 7)
    rendering = best_of(lambda: [render_summary(r) for r in reports], 7)
    fair = per_pass(least, docs, 7)
    base = per_pass(baseline, docs, 7)
    pure = per_pass(least_pure, docs, 7)
    n = len(docs)
    print(f"corpus: {n} documents ({sum(map(len, docs)) / 1024:.0f} KiB)")
    print(f"  read+check+render : {n / ours:9.0f} docs/s  {ours / n * 1e6:8.0f} µs/doc")
    print(f"  read alone        : {n / reading:9.0f} docs/s  {reading / n * 1e6:8.0f} µs/doc")
    print(f"  check alone       : {checking / n * 1e6:26.0f} µs/doc")
    print(f"  render alone      : {rendering / n * 1e6:26.0f} µs/doc  (per document, as above: "
          f"{len(analyses)} of the {n} are plans)")
    print(
        f"  baseline (PyYAML frontmatter + markdown-it-py tokenise): "
        f"{n / base:9.0f} docs/s  {base / n * 1e6:8.0f} µs/doc"
    )
    print(f"  fair baseline (PyYAML {_LOADER.__name__} + one pass over the lines): "
          f"{n / fair:9.0f} docs/s  {fair / n * 1e6:8.0f} µs/doc")
    print(f"  same with PyYAML's pure-Python SafeLoader: {n / pure:9.0f} docs/s  "
          f"{pure / n * 1e6:8.0f} µs/doc")
    print(f"  ratio ours/fair baseline: {ours / fair:.2f} (goal <= 2); "
          f"against the pure-Python loader {ours / pure:.2f}")
    print(f"  ratio of reading alone to the fair baseline: {reading / fair:.2f}; "
          f"against the pure-Python loader {reading / pure:.2f}")
    print(f"  ratio ours/markdown-it baseline: {ours / base:.2f}")
    # The baselines neither check nor render: even a reader as fast as the fair baseline leaves this ratio.
    floor = (fair + checking + rendering) / fair
    print(f"  least ratio ours/fair baseline with a reader as fast as it: {floor:.2f} (check and render "
          f"alone are {(checking + rendering) / fair:.2f}x the fair baseline)")
    print("synthetic random-DAG plans (3 files each), median of runs, ms per plan:")
    previous: tuple[int, float] | None = None
    for size in (10, 100, 1000, 5000):
        text = synthetic(size)
        runs = 15 if size <= 1000 else 5
        parts: list[tuple[float, float, float]] = []
        for _ in range(runs):
            t0 = time.perf_counter()
            analysis = read_analysis(text)
            t1 = time.perf_counter()
            assert analysis is not None
            report = check_plan(analysis)
            t2 = time.perf_counter()
            render_summary(report)
            t3 = time.perf_counter()
            parts.append((t1 - t0, t2 - t1, t3 - t2))
        ms = statistics.median(sum(p) for p in parts) * 1000
        read_ms, check_ms, render_ms = (statistics.median(p[k] for p in parts) * 1000 for k in range(3))
        growth = ""
        if previous is not None:
            growth = f"  x{ms / previous[1]:.1f} for x{size // previous[0]} streams"
        print(
            f"  {size:5d} streams: {ms:8.2f} ms  (read {read_ms:.2f}, check {check_ms:.2f}, "
            f"render {render_ms:.2f}; {len(text) / 1024:.0f} KiB){growth}"
        )
        previous = (size, ms)


if __name__ == "__main__":
    print(speed_line("before"), flush=True)
    main()
    print(speed_line("after"))
