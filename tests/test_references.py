"""No text from a document reaches another issue: every reference form in every field, checked on the HTML."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.analysis.checker import check_plan
from bot.analysis.markdown import code_span, escape_inline, one_line, plain_text
from bot.analysis.models import (
    Analysis,
    Diagnostic,
    Frontmatter,
    LiveStatus,
    PlanReport,
    Severity,
    Stream,
    StreamStatus,
)
from bot.analysis.reader import read_analysis
from bot.analysis.render import render_summary
from bot.jobs.replies import REFUSAL, USAGE, render_dry_run, render_unknown
from bot.sync import markers
from bot.sync.brief import briefs, render_region
from bot.sync.desired import DesiredState, conflict_comment, removed_region, stream_title
from bot.sync.diff import PlannedWrite
from bot.sync.engine import SyncResult, task_summary
from tests.fixtures.app import MAINTAINER, REPO, STRANGER, BotApp
from tests.gfm_filters import live_refs, render, unwanted

#: Every form GitHub turns into a mention, a reference or a link, plus the old escapes that did not hold.
FORMS = [
    "#4242",
    "octo/sandbox#4243",
    "evil/repo#4244",
    "GH-4245",
    "gh-4246",
    "evil#4247",
    "https://github.com/evil/repo/issues/4248",
    "http://github.com/octo/sandbox/pull/4249",
    "www.github.com/evil/repo/pull/4250",
    "https://ghe.example.com/o/r/issues/4251",
    "(https://github.com/octo/sandbox/issues/4252#issuecomment-1)",
    "a5c3785ed8d6a35868bc169f07e40e889087fd2e",
    "deadbee",
    "jlord@a5c3785",
    "evil/repo@a5c3785ed",
    "@octocat",
    "@evil-org/admins",
    "(@paren),",
    "**@bold**",
    "`@tick`",
    "cc:@someone.",
    "[#4253](https://github.com/o/r/issues/4253)",
    "<https://github.com/o/r/issues/4254>",
    "&#35;4255",
    "\\#4256",
    "@\u200dzwj",
    "fixes#4257.",
    "(see GH-4258)",
    "x|#4259|y",
]
HOSTILE = " ".join(FORMS)
#: Paths that must reach the sub-issue byte for byte (no invisible joiner after `@`, `|` and backticks kept).
PATHS = ["src/@scope/pkg.ts", "docs/#4260/notes.md", "a|b/`c`.ts", "``weird`` path.ts", "dir  two/x.ts"]
DOC_PATHS = [p for p in PATHS if "`" not in p]
PLAN_ISSUE = 4
SUB_ISSUES = [6, 7]
FLAGGED = [5]
BLOCKED_BY = [3]
ALLOWED = {PLAN_ISSUE, *SUB_ISSUES, *FLAGGED, *BLOCKED_BY}


def hostile_report() -> PlanReport:
    """A plan with every reference form in every field the bot writes (built as a model: any text fits)."""
    streams = [
        Stream(
            id="A",
            name=f"Core {HOSTILE}",
            line=3,
            scope=f"Scope {HOSTILE}",
            files=PATHS,
            agent_type="@evil-org/admins#4261",
            hours=(1.0, 1.0),
            external_deps=[*FORMS, HOSTILE],
            can_start=HOSTILE,
            # The section as written goes into the sub-issue: every form, in every block it can be in.
            section="\n".join([
                HOSTILE, f"- {HOSTILE}", f"  - {HOSTILE}", f"1. {HOSTILE}", f"> {HOSTILE}", f"## {HOSTILE}",
                f"| {HOSTILE} | b |", "|---|---|", f"| {HOSTILE} | x |", "<details>",
                f"<summary>{HOSTILE}</summary>",
                "```", HOSTILE, "````", f"after {HOSTILE}", "", *FORMS,
            ]),
        ),
        Stream(
            id="#4262",
            name="Second @octocat",
            line=9,
            hours=(2.0, 2.0),
            depends_on=["A"],
            agent_type="GH-4263",
            files=["x.ts"],
        ),
    ]
    diags = [Diagnostic(severity=Severity.WARNING, code="quote", message=f"quoting {HOSTILE}", line=2)]
    fm = Frontmatter(issue=PLAN_ISSUE, title=HOSTILE, conflicts_with=[5])
    analysis = Analysis(issue=PLAN_ISSUE, title=f"Plan {HOSTILE}", frontmatter=fm, streams=streams,
                        diagnostics=diags, conflicts_with=[5])
    return check_plan(analysis)


def hostile_status(report: PlanReport) -> LiveStatus:
    streams = {
        ss.stream.id: StreamStatus(number=n, url=f"https://github.com/octo/sandbox/issues/{n}", state="open")
        for ss, n in zip(report.schedule, SUB_ISSUES, strict=True)
    }
    notes = [Diagnostic(severity=Severity.WARNING, code="sync-note", message=f"note {HOSTILE}")]
    return LiveStatus(streams=streams, notes=notes, blocked_by_issues=BLOCKED_BY)


YAML_SAFE = HOSTILE.replace('"', "'").replace("\\", "/")
DOC_FILES = "\n".join(f"- `{p}`" for p in DOC_PATHS)
HOSTILE_DOCUMENT = f"""---
issue: 4
title: "Plan {YAML_SAFE}"
conflicts_with: [5, 4299]
---

# Parallel Work Analysis: Issue #4

## Parallel Streams

### Stream A: Core {HOSTILE}
**Scope**: {HOSTILE}
**Files**:
{DOC_FILES}
**Agent Type**: evil-org/admins@a5c3785ed
**Can Start**: immediately, see #4270 and @octocat
**Estimated Hours**: 2.0 or GH-4271
**Dependencies**:
- {HOSTILE}
- https://github.com/evil/repo/issues/4272

### Stream B: Second @octocat GH-4273
**Scope**: follow up on evil/repo#4274 www.example.com/x/pull/4275
**Files**:
- `src/b/@x.ts`
**Agent Type**: backend-specialist
**Can Start**: after Stream A
**Estimated Hours**: 1.0
**Dependencies**: Stream A, #4276 and deadbeef12

## Notes
- {HOSTILE}
"""


def assert_clean(markdown: str, allowed: set[int] = ALLOWED) -> None:
    bad = unwanted(markdown, allowed)
    assert not bad, bad
    assert "\u200d" not in markdown.replace("@\u200dzwj", "")  # nothing invisible is put in by the bot
    tags = render(markdown).tags - {"p", "h2", "h3", "h4", "strong", "em", "code", "pre", "table", "thead",
                                    "tbody", "tr", "th", "td", "ul", "ol", "li", "blockquote", "details",
                                    "summary", "br", "hr"}
    assert not tags, tags


# --- the checker itself sees what GitHub sees -------------------------------------------------------------


def test_the_checker_finds_every_form_as_github_would() -> None:
    for form in FORMS:
        if form in ("@\u200dzwj", "`@tick`"):
            # Not live as written (the joiner hides the mention; backticks make code), but escaped as text
            # they must stay dead too: they are among the forms put in every field.
            assert live_refs(form) == []
            continue
        assert live_refs(f"text {form} text"), form
    # What the old escaping wrote is still live on the rendered text: a backslash disappears in rendering.
    assert [r.kind for r in live_refs("\\#12 and owner/repo\\#3")] == ["issue", "issue"]
    assert [r.number for r in live_refs("https://github.com/o/r/pull/9 GH-8")] == [9, 8]
    # Code, pre and links are skipped, as GitHub's filters skip them.
    assert live_refs("`#12 @x` and\n\n```\n#13 @y\n```\n") == []
    assert [r.kind for r in live_refs("[x](https://e.x)")] == ["link"]


# --- the summary ------------------------------------------------------------------------------------------


def test_summary_keeps_only_the_bots_own_references_live() -> None:
    report = hostile_report()
    for status in (None, hostile_status(report)):
        md = render_summary(report, status)
        assert_clean(md)
        live = {r.number for r in live_refs(md)}
        # The intended ones are there: the plan's issue, the flagged issue, and with status the sub-issues.
        assert {PLAN_ISSUE, *FLAGGED} <= live
        if status is not None:
            assert {*SUB_ISSUES, *BLOCKED_BY} <= live


def test_summary_of_a_read_hostile_document_is_clean() -> None:
    analysis = read_analysis(HOSTILE_DOCUMENT)
    assert analysis is not None and len(analysis.streams) == 2
    report = check_plan(analysis)
    assert report.analysis.streams[0].files[0] == "src/@scope/pkg.ts"
    # Rendered directly, conflicts_with is shown as the plan asks (the sync narrows it to the issues it
    # flags: the end-to-end test below has 4299 missing and not linked).
    assert report.analysis.conflicts_with == [5, 4299]
    assert_clean(render_summary(report), ALLOWED | {4299})
    assert_clean(render_summary(report, hostile_status(report)), ALLOWED | {4299})


def test_the_mermaid_diagram_is_a_code_block() -> None:
    md = render_summary(hostile_report())
    rendered = render(md)
    [diagram] = [c for c in rendered.code if "\ngraph " in c]
    assert "@" not in diagram and "`" not in diagram and "<" not in diagram
    assert all("graph " not in node for node in rendered.text_nodes)


# --- sub-issues and notes ---------------------------------------------------------------------------------


def test_sub_issue_titles_and_bodies_are_clean_and_paths_exact() -> None:
    report = hostile_report()
    made = briefs(report, PLAN_ISSUE, {}, None)  # the source link, the bot's own, is tested in test_brief
    numbers = {markers.safe_id(s.id): n for s, n in zip(report.analysis.streams, SUB_ISSUES, strict=False)}
    for stream in report.analysis.streams:
        title = stream_title(PLAN_ISSUE, stream)
        assert title.startswith(f"#{PLAN_ISSUE} · Stream ") and len(title) <= 256
        assert "\n" not in title and "\u200d" not in title
        assert_clean(title, {PLAN_ISSUE})  # GitHub renders code spans (and references) in titles
        body = render_region(made[stream.id], numbers)
        assert_clean(body, {PLAN_ISSUE, *SUB_ISSUES})
        code = render(body).code
        for path in stream.files:
            assert path in code, (path, code)
        removed = removed_region(body, PLAN_ISSUE, stream.id)
        assert_clean(removed, {PLAN_ISSUE, *SUB_ISSUES})
    assert_clean(conflict_comment(PLAN_ISSUE, 5), {PLAN_ISSUE, 5})


def test_long_hostile_titles_stay_within_githubs_limit_and_clean() -> None:
    for k in range(0, 300, 7):
        stream = Stream(id="A", name="x" * k + " " + " ".join(FORMS * 4), line=1)
        title = stream_title(4, stream)
        assert len(title) <= 256
        assert_clean(title, {4})


def test_task_summary_and_failure_notes_are_clean() -> None:
    desired = DesiredState(
        number=PLAN_ISSUE, structure=True, parent_labels=[], conflicts=FLAGGED, issue_deps=BLOCKED_BY,
        notes=[Diagnostic(severity=Severity.WARNING, code="x", message=HOSTILE)],
    )
    assert_clean(task_summary(PLAN_ISSUE, desired))


# --- replies ----------------------------------------------------------------------------------------------


def test_replies_are_clean() -> None:
    report = hostile_report()
    title = stream_title(PLAN_ISSUE, report.analysis.streams[0])
    planned = [
        PlannedWrite(method="POST", path="/repos/octo/sandbox/issues", description=f"create {title}"),
        PlannedWrite(method="PATCH", path="/repos/octo/sandbox/issues/7", description=f"update #7 {HOSTILE}"),
    ]
    result = SyncResult(issue=PLAN_ISSUE, planned=planned, found_analysis=True, dry_run=True, errors=True)
    replies = [render_dry_run(result, PLAN_ISSUE), render_dry_run(SyncResult(issue=PLAN_ISSUE), PLAN_ISSUE)]
    replies += [render_unknown(HOSTILE), render_unknown("x" * 98 + HOSTILE), USAGE, REFUSAL]
    for text in replies:
        assert_clean(text, {PLAN_ISSUE})


# --- escaping, for any text -------------------------------------------------------------------------------

WORDS = st.sampled_from([*FORMS, *PATHS, "|", "`", "``", "\\", "*", "_", "&", "<b>", " ", "  ", "\n", "a"])
TEXT = st.one_of(
    st.text(max_size=120),
    st.lists(WORDS | st.text(max_size=8), max_size=30).map("".join),
    st.lists(WORDS, max_size=20).map(" ".join),
)
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def visible(markdown: str) -> str:
    """The rendered text of a one-paragraph markdown: what a reader sees (and copies)."""
    html = render(markdown)
    return "".join(piece for piece in _all_text(html.html))


def _all_text(html: str) -> list[str]:
    from html.parser import HTMLParser

    out: list[str] = []

    class Collect(HTMLParser):
        def handle_data(self, data: str) -> None:
            out.append(data)

    c = Collect(convert_charrefs=True)
    c.feed(html)
    c.close()
    return out


@FAST
@given(TEXT)
def test_escaped_prose_has_no_live_reference_and_reads_exactly_as_written(text: str) -> None:
    md = escape_inline(text)
    assert not unwanted(md), (text, md)
    assert "\u200d" not in md.replace(text, "") or "\u200d" in text
    assert visible(f"x {md}").strip() == f"x {one_line(text)}".strip()


@FAST
@given(TEXT)
def test_escaped_table_cells_stay_one_cell_and_read_exactly(text: str) -> None:
    md = f"| a | b |\n|---|---|\n| {escape_inline(text, in_table=True)} | end |\n"
    assert not unwanted(md), (text, md)
    rendered = render(md)
    assert rendered.html.count("<td>") + rendered.html.count("<td ") == 2
    cell = rendered.html.split("<td>", 1)[1].split("</td>", 1)[0]
    assert "".join(_all_text(cell)) == one_line(text)


@FAST
@given(TEXT)
def test_titles_have_no_live_reference(text: str) -> None:
    title = plain_text(text, 80)
    assert len(title) <= 80 and "\n" not in title
    assert not unwanted(title), (text, title)


#: Text a path can hold: no control characters, line breaks or bidi overrides (those are dropped).
PATH_TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
                  blacklist_characters="\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    | st.sampled_from("`| @#"),
    min_size=1,
    max_size=60,
)


@FAST
@given(PATH_TEXT)
def test_code_spans_keep_text_byte_for_byte(text: str) -> None:
    for md in (f"x {code_span(text)} y", f"| a |\n|---|\n| {code_span(text, in_table=True)} |\n"):
        codes = render(md).code
        assert codes == [text], (text, md, codes)


# --- end to end through the local GitHub ------------------------------------------------------------------


def bot_written(bot_app: BotApp) -> list[tuple[int, str, str]]:
    """(issue, what, text) of every comment, body and title the bot wrote in the repository."""
    out: list[tuple[int, str, str]] = []
    for key, issue in bot_app.sandbox.snapshot(REPO)["issues"].items():
        number = int(key)
        for c in issue["comments"]:
            if c["user"] == "parallel-work-bot[bot]":
                out.append((number, "comment", c["body"]))
        if issue.get("user") == "parallel-work-bot[bot]":
            out += [(number, "title", issue["title"]), (number, "body", issue["body"] or "")]
    return out


async def test_a_hostile_plan_through_the_app_writes_nothing_that_references_others(bot_app: BotApp) -> None:
    sb = bot_app.sandbox
    for n in range(1, 4):
        sb.create_issue(REPO, f"Earlier issue {n}", user=MAINTAINER)
    sb.create_issue(REPO, "Configure Convex Backend", user=MAINTAINER)
    sb.create_issue(REPO, "Integrate Clerk", user=MAINTAINER)
    comment: dict[str, Any] = await bot_app.as_user(
        MAINTAINER, "POST", f"/repos/{REPO}/issues/4/comments", {"body": HOSTILE_DOCUMENT})
    await bot_app.post("issue_comment", bot_app.comment_event("created", comment))
    await bot_app.idle()
    for user, text in ((MAINTAINER, "/analyze dry-run"), (MAINTAINER, f"/analyze {HOSTILE}"),
                       (STRANGER, f"{HOSTILE_DOCUMENT}\n"), (MAINTAINER, "/analyze")):
        c = await bot_app.as_user(user, "POST", f"/repos/{REPO}/issues/4/comments", {"body": text})
        await bot_app.post("issue_comment", bot_app.comment_event("created", c))
        await bot_app.idle()
    plan = bot_app.issue(4)
    subs = plan["sub_issues"]
    assert len(subs) == 2, plan
    allowed = {4, 5, *subs}
    written = bot_written(bot_app)
    kinds = {(n, what) for n, what, _ in written}
    assert (4, "comment") in kinds and (5, "comment") in kinds and all((s, "body") in kinds for s in subs)
    assert sum(1 for n, what, text in written if n == 4 and "Dry run" in text) == 1
    # The one link the bot writes on purpose: to the comment the plan was read from (its html_url).
    source = comment["html_url"]
    for number, what, text in written:
        bad = [r for r in unwanted(text, allowed) if not (r.kind == "link" and r.text == source)]
        assert not bad, (number, what, bad)
        assert "\u200d" not in text.replace("@\u200dzwj", ""), (number, what)
    # The paths reach the sub-issue exactly, inside code.
    body_a = bot_app.issue(subs[0])["body"]
    code = render(body_a).code
    for path in DOC_PATHS:
        assert path in code, (path, code)
    assert "src/b/@x.ts" in render(bot_app.issue(subs[1])["body"]).code


def test_a_long_issue_number_is_an_issue_reference_not_a_commit() -> None:
    """The checker itself: `#1234567` is the issue reference GitHub sees (allowed or not), never a SHA."""
    assert [r.kind for r in unwanted("see #1234567 and GH-7654321")] == ["issue", "issue"]
    assert unwanted("plan for #1000000", {1000000}) == []
    assert [r.kind for r in unwanted("commit 1234567 landed")] == ["commit"]
