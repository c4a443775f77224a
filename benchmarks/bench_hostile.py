"""Adversarial figures: read + check + render of hostile documents (CPU time per case), the worst document
within GitHub's 65,536 characters, and a 1 MB document.

Run: python3 -m benchmarks.bench_hostile  (prints figures; default configuration; not a test)
Goals: worst document within 65,536 characters <= 100 ms; a 1 MB document <= 1 s.
The acknowledgement latency while such comments arrive is measured by bench_webhook (in memory) and
bench_scale (PostgreSQL), which mix `hostile_comments()` into their load.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import speed_line
from bot.analysis.checker import check_plan
from bot.analysis.reader import maybe_analysis, read_analysis
from bot.analysis.render import render_summary

#: GitHub's limit on an issue or comment body.
BODY_LIMIT = 65_536
HEAD = "# Parallel Work Analysis: Issue #1\n\n## Parallel Streams\n\n"
DSTARS = "**/" * 60


def _fit(head: str, unit: str, tail: str = "", limit: int = BODY_LIMIT - 100) -> str:
    """`head`, then `unit` as often as fits in `limit` characters, then `tail`."""
    k = max(1, (limit - len(head) - len(tail)) // max(1, len(unit)))
    return head + unit * k + tail


def _streams(limit: int, make: Callable[[int], str], head: str = HEAD) -> str:
    """As many streams `make(i)` as fit in `limit` characters."""
    parts = [head]
    size = len(head)
    i = 1
    while True:
        piece = make(i)
        if size + len(piece) > limit:
            return "".join(parts)
        parts.append(piece)
        size += len(piece)
        i += 1


def _files(ids: str, entries: Callable[[str], list[str]]) -> str:
    """One stream per id in `ids`, each with the Files list `entries(id)`."""
    return HEAD + "".join(
        f"### Stream {c}: x\n**Files**:\n" + "".join(f"- `{e}`\n" for e in entries(c)) for c in ids
    )


def issue_cases() -> dict[str, str]:
    """The cases issue 10 measured, each within 65,536 characters."""
    n = BODY_LIMIT - 100
    parens = "| Stream | " + "(" * 2000 + " |\n|---|---|\n"
    return {
        "table, 2nd header cell a run of (": _fit(parens, "| A | x |\n"),
        "table, header cell of 60,000 (": "| Stream | " + "(" * 60_000 + " |\n|---|---|\n| A | x |\n",
        "Files entry in backticks full of spaces": _files("A", lambda c: ["a" + " " * (n - 200) + "b"]),
        "overlapping globs, 2.3 KB": _files("AB", lambda c: [f"src/**/*{c}{i}*" for i in range(60)]),
        "overlapping globs, 4.7 KB": _files("AB", lambda c: [f"src/**/*{c}{i}*" for i in range(120)]),
        "2 streams x 2,800 globs": _files("AB", lambda c: [f"*{c}{i}" for i in range(2800)]),
        "1,025 streams with one glob": HEAD
        + "".join(f"### Stream {i}: x\n**Files**: `*.t{i}`\n" for i in range(1, 1026)),
        'conflicts with "#1 ... #9500"': "# A\nconflicts with "
        + ", ".join(f"#{i}" for i in range(1, 9500))
        + "\n### Stream A: x\n",
        "deep YAML flow nesting": "---\nissue: 1\nx: " + "[" * (n - 100) + "\n---\n### Stream A: x\n",
        "deep YAML flow maps": "---\nissue: 1\nx: " + "{a: " * ((n - 100) // 4) + "\n---\n### Stream A: x\n",
        '"all other streams" x as many streams as fit': _streams(
            n, lambda i: f"### Stream {i}: x\n**Dependencies**: all other streams\n", "# Analysis\n"
        ),
        "Dependencies value over 4,000 characters": HEAD
        + "### Stream A: x\n**Dependencies**: "
        + "Stream B, " * 6000
        + "\n### Stream B: y\n",
    }


def own_cases() -> dict[str, str]:
    """More hostile shapes: each a different part of the reader or checker."""
    n = BODY_LIMIT - 100
    shared = "## Coordination Points\n### Shared Files\n" + "".join(f"- `src/f{i}.ts`\n" for i in range(2000))
    return {
        '"all previous streams" table rows': _streams(
            n, lambda i: f"| {i} | all previous streams |\n", "| Stream | Dependencies |\n|---|---|\n"
        ),
        "smallest stream table rows": _streams(
            n, lambda i: f"| {i} | 1 |\n", "| Stream | Hours |\n|---|---|\n"
        ),
        "1,000 streams on one shared glob": HEAD
        + "".join(f"### Stream {i}: x\n**Files**: `src/*`\n" for i in range(1, 1001)),
        "globs of 180 chars, **/ chains": _files("ABC", lambda c: [DSTARS + f"x{c}{i}" for i in range(30)]),
        "long globs *a*a*a...": _files("AB", lambda c: ["*a" * 8000 + c]),
        "external deps #1 ... #9000": HEAD
        + "### Stream A: x\n**Dependencies**: "
        + ", ".join(f"#{i}" for i in range(9000))
        + "\n",
        "salvaged YAML, deep values": "---\nissue: 1\n"
        + "".join(f"k{i}: " + "[" * 900 + "\n" for i in range(60))
        + "---\n### Stream A: x\n",
        "shared files x globs": HEAD
        + "".join(f"### Stream {i}: x\n**Files**: `src/*{i}*`\n" for i in range(1, 300))
        + shared,
        "table of pipes": "| Stream | " + "| " * 30_000 + "\n|---|---|\n| A | 1 |\n",
        "details and fences": "<details>\n" * 2500 + "```markdown\n" * 2500 + "### Stream A: x\n",
        "stream headings with spaces": HEAD + "### Stream A " + " " * (n - 200) + "x #\n",
        "Can Start runs of (": HEAD + "### Stream A: x\n**Can Start**: after " + "(" * (n - 200) + "\n",
    }


def megabyte() -> str:
    """A 1 MB document: a plan of a few hundred streams, then a long stream table with files."""
    body = [HEAD]
    for i in range(1, 301):
        body.append(
            f"### Stream {i}: Work {i}\n**Files**:\n- `src/mod{i % 50}/**`\n- `src/mod{i}/a.ts`\n"
            f"**Estimated Hours**: 2\n**Dependencies**: Stream {max(1, i - 1)}\n\n"
        )
    table = "".join(body) + "| Stream | Files | Hours |\n|---|---|---|\n"
    return _streams(1_000_000, lambda i: f"| {i + 300} | `x/y{i}.ts` | 1 |\n", table)


def cpu_seconds(text: str) -> tuple[float, float, float]:
    """CPU seconds of read, check and render (the pre-test counted with read)."""
    t0 = time.process_time()
    maybe_analysis(text)
    analysis = read_analysis(text)
    t1 = time.process_time()
    report = check_plan(analysis) if analysis is not None else None
    t2 = time.process_time()
    if report is not None:
        render_summary(report)
    t3 = time.process_time()
    return t1 - t0, t2 - t1, t3 - t2


def best_of(text: str, runs: int = 3) -> tuple[float, float, float]:
    """The fastest of `runs` runs (less noise from the other processes on the machine)."""
    return min((cpu_seconds(text) for _ in range(runs)), key=sum)


def hostile_comments() -> list[str]:
    """Every case that fits in one comment: the load mixed into bench_webhook's and bench_scale's ack runs."""
    return [text for text in (*issue_cases().values(), *own_cases().values()) if len(text) <= BODY_LIMIT]


def main() -> None:
    print("read + check + render, CPU ms (best of 3)")
    worst: tuple[float, str] = (0.0, "")
    for title, cases in (("issue 10 cases", issue_cases()), ("own cases", own_cases())):
        print(f"{title}:")
        for name, text in cases.items():
            read, check, render = best_of(text)
            total = read + check + render
            within = len(text) <= BODY_LIMIT
            if within and total > worst[0]:
                worst = (total, name)
            note = "" if within else "  (over 65,536 characters)"
            print(
                f"  {name:46s} {len(text):7d} chars  {total * 1000:8.1f} ms  (read {read * 1000:.1f}, "
                f"check {check * 1000:.1f}, render {render * 1000:.1f}){note}"
            )
    print(f"worst within 65,536 characters: {worst[0] * 1000:.1f} ms ({worst[1]}) (goal <= 100 ms)")
    big = megabyte()
    read, check, render = best_of(big, 1)
    print(
        f"1 MB document ({len(big)} chars): {(read + check + render) * 1000:.0f} ms "
        f"(read {read * 1000:.0f}, check {check * 1000:.0f}, render {render * 1000:.0f}) (goal <= 1 s)"
    )
    print("ack latency while hostile comments arrive: `python3 -m benchmarks.bench_webhook` (in memory) and "
          "`python3 -m benchmarks.bench_scale --only web` (PostgreSQL), rows marked [hostile]")


if __name__ == "__main__":
    print(speed_line("before"), flush=True)
    main()
    print(speed_line("after"))
