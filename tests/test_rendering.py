"""What a person sees, rendered for real: cmark-gfm's HTML with Mermaid 11 in headless Chromium.

The summary, every sub-issue brief and the conflict note of the example (as the demo built them), of every
corpus plan and of synthetic plans (errors, hostile names, 8/25/60 streams, none, progress states), each in a
box of GitHub's comment width, light and dark. Any diagram error, markdown shown as literal characters, live
mention or reference the bot did not mean, link, raw HTML, unreadable node text or diagram below 0.6× fails.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot.analysis.checker import check_plan
from bot.analysis.models import LiveStatus, PlanReport, StreamStatus
from bot.analysis.reader import read_analysis
from bot.analysis.render import render_summary
from bot.cli.demo_scenario import REPO, bundled_plan, default_openapi, run_demo
from bot.sync import markers
from bot.sync.brief import briefs, render_region
from bot.sync.desired import conflict_comment
from tests import paths
from tests.render_harness import MIN_SCALE, Comment, findings, missing_tools, render

SITE = f"https://github.com/{REPO}/issues/"
PLAN_ISSUE = 4
TARGET = 5
FIRST_SUB = 100
#: The progress plan's sub-issues: done, ready, waiting, not planned.
STATES = ("closed", "ready", "open", "not_planned")


def _heading_plan(title: str, streams: list[tuple[str, str, list[str], float]]) -> str:
    """A plan document: (id, name, dependencies, hours) per stream."""
    out = [f"# {title}", ""]
    for sid, name, deps, hours in streams:
        out += [
            f"### Stream {sid}: {name}",
            f"- **Scope**: {name}, as the plan says",
            f"- **Files**: `src/{sid.lower()}/index.ts`, `src/shared/{int(hours)}.ts`",
            "- **Agent Type**: backend-specialist",
            f"- **Dependencies**: {', '.join(f'Stream {d}' for d in deps) or 'none'}",
            f"- **Estimated Hours**: {hours}",
            "",
        ]
    return "\n".join(out)


def chain(n: int) -> str:
    steps = [(str(i), f"Step {i} of the migration", [str(i - 1)] if i > 1 else [], 1.5)
             for i in range(1, n + 1)]
    return _heading_plan(f"Analysis: a chain of {n}", steps)


def layered(levels: int, width: int) -> str:
    """`levels` ranks of `width` streams, each waiting for one or two of the rank before."""
    streams = []
    for lv in range(levels):
        for k in range(width):
            sid = str(lv * width + k + 1)
            before = (lv - 1) * width + 1
            deps = [] if lv == 0 else sorted({str(before + k), str(before + (k + 1) % width)})
            streams.append((sid, f"Module {sid} of the service layer", deps, 2.0))
    return _heading_plan(f"Analysis: {levels * width} streams", streams)


HOSTILE_NAME = (
    "@octocat #12 \\#13 owner/repo#3 GH-9 https://evil.example/x www.evil.example <b>x</b> | pipe "
    "`code` **bold**"
)
_ERRORS = [
    ("A", "Schema", ["C"], 2.0), ("B", "API", ["A", "Z"], 1.0), ("C", "UI", ["B"], 1.0),
    ("D", "Docs", ["D"], 0.5), ("B", "Another B", [], 1.0),
]  # fmt: skip
_HOSTILE = [("A", HOSTILE_NAME, [], 1.0), ("B", "x" * 120, ["A"], 0.416667), ("C", "Plain", ["A"], 1.0)]
_PROGRESS = [
    ("A", "Done part", [], 1.0), ("B", "Ready part", ["A"], 2.0), ("C", "Waiting part", ["B"], 1.0),
    ("D", "Dropped part", [], 1.0),
]  # fmt: skip
_WIDE = [(str(i), f"Task {i}", [], 1.0) for i in range(1, 61)]
SYNTHETIC = {
    "chain-8": chain(8),
    "layered-25": layered(5, 5),
    "layered-60": layered(6, 10),
    "wide-60": _heading_plan("Analysis: 60 side by side", _WIDE),
    "errors": _heading_plan("Analysis: broken", _ERRORS),
    "hostile": _heading_plan(f"Analysis {HOSTILE_NAME}", _HOSTILE)
    + "\n## Coordination Points\n### Shared Files\n- `src/shared/1.ts` - @octocat owns it\n",
    "no-streams": "# Analysis: nothing yet\n\nWe will split this later.\n",
    "progress": _heading_plan("Analysis: half done", _PROGRESS),
}


def _status(report: PlanReport, progress: bool) -> LiveStatus:
    status = LiveStatus(issue=PLAN_ISSUE, source_url=f"{SITE}{PLAN_ISSUE}#issuecomment-1",
                        source_edited="2026-12-02 10:00 UTC")
    for k, ss in enumerate(report.schedule):
        state = STATES[k % 4] if progress else ("ready" if k == 0 else "open")
        status.streams[ss.stream.id] = StreamStatus(number=FIRST_SUB + k, url=f"{SITE}{FIRST_SUB + k}",
                                                    state=state)
    return status


def comments_of(name: str, text: str) -> list[Comment]:
    """The summary, each stream's brief and a conflict note of one plan, as the bot would write them."""
    analysis = read_analysis(text)
    assert analysis is not None, name
    report = check_plan(analysis)
    status = _status(report, progress=name == "progress")
    numbers = {markers.safe_id(sid): st.number for sid, st in status.streams.items()}
    refs = {PLAN_ISSUE, TARGET, *analysis.conflicts_with, *numbers.values()}
    exempt = ["<b>x</b>"] if name == "hostile" else []  # the tag as the document wrote it, shown as text
    out = [Comment(f"{name}: summary", render_summary(report, status), refs, [SITE], exempt)]
    made = briefs(report, PLAN_ISSUE, {}, status.source_url)
    for sid, brief in made.items():
        out.append(Comment(f"{name}: sub-issue {sid}", render_region(brief, numbers), refs, [SITE], exempt))
    out.append(Comment(f"{name}: conflict note", conflict_comment(PLAN_ISSUE, TARGET), refs, [SITE]))
    return out


def corpus_documents() -> list[Path]:
    return sorted(p for p in (paths.CORPUS / "docs").glob("*.md"))


def demo_comments() -> list[Comment]:
    """The example as the demo built it: every issue's body and every bot comment (demo --json's data)."""
    result = asyncio.run(run_demo(bundled_plan(), openapi=default_openapi()))
    out: list[Comment] = []
    issues: dict[str, dict[str, Any]] = result.snapshot["issues"]
    refs = {int(n) for n in issues}
    for n, issue in sorted(issues.items(), key=lambda kv: int(kv[0])):
        if issue.get("user") == result.bot_login:
            out.append(Comment(f"example: sub-issue #{n}", issue["body"] or "", refs, [SITE]))
        for c in issue["comments"]:
            if c["user"] == result.bot_login:
                out.append(Comment(f"example: comment on #{n}", c["body"], refs, [SITE]))
    return out


@pytest.fixture(scope="module")
def rendered() -> tuple[list[Comment], dict[str, dict[str, Any]]]:
    missing = missing_tools()
    assert not missing, f"the renderer needs {', '.join(missing)}: `bash scripts/test` installs them"
    comments = demo_comments()
    for name, text in SYNTHETIC.items():
        comments += comments_of(name, text)
    for path in corpus_documents():
        text = path.read_text(encoding="utf-8")
        if read_analysis(text) is not None:
            comments += comments_of(path.name, text)
    return comments, render(comments)


def test_the_example_as_the_demo_built_it_renders_cleanly(rendered: Any) -> None:
    comments, reports = rendered
    ours = [c for c in comments if c.id.startswith("example: ")]
    # The summary, the four briefs and the conflict note on #5.
    assert len(ours) == 6 and sum(1 for c in ours if "sub-issue" in c.id) == 4
    bad = {c.id: findings(reports[c.id]) for c in ours if findings(reports[c.id])}
    assert not bad, bad
    [summary] = [c for c in ours if c.id == "example: comment on #4"]
    [diagram] = reports[summary.id]["diagrams"]
    assert diagram["ok"] and diagram["scale"] >= MIN_SCALE


def test_every_corpus_plan_renders_cleanly(rendered: Any) -> None:
    comments, reports = rendered
    corpus = [c for c in comments if c.id.split(":")[0].endswith(".md")]
    assert len({c.id.split(":")[0] for c in corpus}) >= 40  # the in-repository corpus has 42 plans
    bad = {c.id: findings(reports[c.id]) for c in corpus if findings(reports[c.id])}
    assert not bad, bad
    diagrams = [d for c in corpus for d in reports[c.id]["diagrams"]]
    assert len(diagrams) >= 35 and all(d["ok"] for d in diagrams)


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_plans_render_cleanly(rendered: Any, name: str) -> None:
    comments, reports = rendered
    mine = [c for c in comments if c.id.startswith(f"{name}: ")]
    bad = {c.id: findings(reports[c.id]) for c in mine if findings(reports[c.id])}
    assert not bad, bad
    summary = reports[f"{name}: summary"]
    if name == "no-streams":
        assert summary["diagrams"] == []
    else:  # 60 side by side are one column, left to right: tall, but legible
        [diagram] = summary["diagrams"]
        assert diagram["ok"] and diagram["scale"] >= MIN_SCALE, diagram


CHAIN_40 = "\n".join(f"  n{i} --> n{i + 1}" for i in range(40))


def test_the_renderer_finds_what_it_must(rendered: Any) -> None:
    """The checks can fail: literal markdown, a live mention, a stray link, a broken and a tiny diagram."""
    broken = [
        Comment("leak", "**Scope**: x &amp;amp; y\n\nan escape shown \\\\_here and `y"),
        Comment("mention", "thanks @octocat, see #77 and https://evil.example"),
        Comment("bad diagram", "```mermaid\ngraph LR\n  a[\"x\"] --> \n```"),
        Comment("tiny", "```mermaid\ngraph LR\n" + CHAIN_40 + "\n```"),
        Comment("dark", "```mermaid\ngraph LR\n  a[x]\n  classDef done fill:#dafbe1\n  class a done\n```"),
    ]
    reports = render(broken)
    leak = findings(reports["leak"])
    assert any("backslash" in f for f in leak) and any("backtick" in f for f in leak), leak
    assert any("entity" in f for f in leak), leak
    mention = findings(reports["mention"])
    assert "live mention @octocat" in mention and "live reference #77" in mention
    assert any(f.startswith("link to https://evil.example") for f in mention)
    assert any("diagram 1:" in f and "scale" not in f for f in findings(reports["bad diagram"]))
    assert any("shown at" in f for f in findings(reports["tiny"]))
    # A pale fill with the dark theme's light text: the contrast check catches it.
    assert any("contrast" in f and "dark" in f for f in findings(reports["dark"]))
