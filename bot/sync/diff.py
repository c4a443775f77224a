"""The difference between current and desired state as an ordered list of writes (none when equal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import takewhile
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from bot.sync import markers
from bot.sync.brief import Brief, numbers_of, render_region
from bot.sync.current import CurrentState
from bot.sync.desired import DesiredState, conflict_comment, previous_agent, removed_region


class PlannedWrite(BaseModel):
    """One write the sync makes (or, in a dry run, would make)."""

    method: str
    path: str
    description: str


@dataclass(frozen=True)
class NewNumber:
    """The number of the sub-issue the sync creates for a stream (known only once it exists)."""

    stream: str


@dataclass(frozen=True)
class NewId:
    """The database id of the sub-issue the sync creates for a stream."""

    stream: str


#: Stream id -> (number, database id) of its sub-issue.
Refs = dict[str, tuple[int, int]]
Part = str | NewNumber


@dataclass(frozen=True)
class NewRegion:
    """The region of a sub-issue the sync creates, rendered as it is created: it names the sub-issues that
    exist by then (those created before it in the same run too), so only a brief naming a later one needs an
    edit once the run's sub-issues exist."""

    brief: Brief

    def render(self, refs: Refs) -> str:
        """The region with the numbers of every sub-issue known so far."""
        return render_region(self.brief, {sid: num for sid, (num, _id) in refs.items() if num > 0})


@dataclass
class Write:
    """One REST write; parts of the path and data may refer to sub-issues created earlier in the same run."""

    method: str
    path: tuple[Part, ...]
    data: Any
    description: str
    #: The stream whose sub-issue this call creates: its number and id become known from the response.
    produces: str | None = None
    #: Statuses meaning "already so" (a label that already exists): the write counts as done.
    ok_statuses: tuple[int, ...] = ()
    #: A repository label this call creates (the existence cache learns it).
    creates_label: str | None = None
    #: A name under which the response is kept (the summary's, for its URL).
    tag: str | None = None
    #: A label this call takes off an issue (an agent label no issue carries any more is then deleted).
    drops_label: str | None = None
    #: A sub-issue created already linked under this parent (number, node id): GraphQL's `createIssue` with
    #: `parentIssueId`, one write; REST's create then link where the host lacks it (bot.sync.apply).
    link_to: tuple[int, str] | None = None
    #: Another issue this call labels (a conflict target): syncs of other plans naming it may be labelling it
    #: at the same time, so it is sent under that issue's lock, once a fresh read shows the label missing.
    labels_other: int | None = None

    def resolve_path(self, refs: Refs) -> str:
        """The path with created sub-issues' numbers filled in."""
        return "".join(str(refs[p.stream][0]) if isinstance(p, NewNumber) else p for p in self.path)

    def resolve_data(self, refs: Refs) -> Any:
        """The data with created sub-issues' ids (and a new sub-issue's region) filled in."""
        if isinstance(self.data, dict):
            return {k: _resolve(v, refs) for k, v in self.data.items()}
        return self.data

    def planned(self) -> PlannedWrite:
        """How the write is shown (a dry run shows `{new A}` for a sub-issue not created yet)."""
        path = "".join(f"{{new {p.stream}}}" if isinstance(p, NewNumber) else p for p in self.path)
        if self.link_to is not None:
            return PlannedWrite(method="POST", path="/graphql",
                                description=f"{self.description} (under #{self.link_to[0]})")
        return PlannedWrite(method=self.method, path=path, description=self.description)


def _resolve(value: Any, refs: Refs) -> Any:
    if isinstance(value, NewId):
        return refs[value.stream][1]
    if isinstance(value, NewRegion):
        return value.render(refs)
    return value


def _issue(owner: str, repo: str, number: int | NewNumber, rest: str = "") -> tuple[Part, ...]:
    return (f"/repos/{owner}/{repo}/issues/", number if isinstance(number, NewNumber) else str(number), rest)


def _label_path(owner: str, repo: str, number: int, name: str) -> tuple[Part, ...]:
    return _issue(owner, repo, number, "/labels/" + quote(name, safe=""))


def comment_path(owner: str, repo: str, comment: dict[str, Any]) -> tuple[Part, ...]:
    """The path of an existing comment (for an edit or a removal)."""
    return (f"/repos/{owner}/{repo}/issues/comments/{comment['id']}",)


def deletion(path: tuple[Part, ...], description: str) -> Write:
    """A DELETE; a 404 means it is already gone (an earlier round, or a person), so it counts as done."""
    return Write("DELETE", path, b"", description, ok_statuses=(404,))


def _unlabel(owner: str, repo: str, number: int, name: str) -> Write:
    """Take one label off an issue (already off counts as done)."""
    write = deletion(_label_path(owner, repo, number, name), f"unlabel #{number} {name}")
    write.drops_label = name
    return write


def comment_writes(
    owner: str,
    repo: str,
    number: int,
    existing: dict[str, Any] | None,
    text: str,
    what: str,
    *,
    tag: str | None = None,
) -> list[Write]:
    """A bot comment on #number (found by its marker): created, or edited only when `text` differs."""
    if existing is None:
        return [
            Write("POST", _issue(owner, repo, number, "/comments"), {"body": text}, f"create {what}", tag=tag)
        ]
    if existing.get("body") == text:
        return []
    return [Write("PATCH", comment_path(owner, repo, existing), {"body": text}, f"update {what}", tag=tag)]


@dataclass
class _Step:
    """What every step of the diff reads: both states, where to write, and the streams' ids so far."""

    current: CurrentState
    desired: DesiredState
    owner: str
    repo: str
    #: Stream id -> the sub-issue's database id / number: existing ones, or placeholders for new ones.
    ids: dict[str, int | NewId] = field(default_factory=dict)
    nums: dict[str, int | NewNumber] = field(default_factory=dict)
    #: The parent's node id when new sub-issues are created already linked (None: create, then link).
    linked: str | None = None

    @property
    def n(self) -> int:
        return self.current.parent.number

    def issue(self, number: int | NewNumber, rest: str = "") -> tuple[Part, ...]:
        return _issue(self.owner, self.repo, number, rest)


def diff(
    current: CurrentState, desired: DesiredState, owner: str, repo: str, *, linked: bool = False,
) -> list[Write]:
    """Writes that turn `current` into `desired`, in an order where each one's inputs already exist.

    `linked`: new sub-issues are created already linked (see `Write.link_to`), after the removed streams'
    unlinks have made room under GitHub's limit. A new stream with an issue type or people to hand it to
    (the repository's configuration) needs REST's create (this schema's `createIssue` takes neither a type
    nor logins), so such a plan's new sub-issues are created, then linked.
    """
    rest_only = any(ds.issue_type or ds.assign for ds in desired.streams if ds.id not in current.streams)
    parent_node = current.parent.raw.get("node_id")
    step = _Step(current, desired, owner, repo,
                 ids={sid: s.id for sid, s in current.streams.items()},
                 nums={sid: s.number for sid, s in current.streams.items()},
                 linked=str(parent_node) if linked and parent_node and not rest_only else None)
    streams = stream_writes(step)
    creates = [w for w in streams if w.link_to is not None]
    return [
        *label_writes(step),
        *[w for w in streams if w.link_to is None],
        *removal_writes(step),
        *unlink_writes(step),
        *creates,
        *link_writes(step),
        *order_writes(step),
        *dependency_writes(step),
        *parent_writes(step),
        *conflict_writes(step),
    ]


def label_writes(step: _Step) -> list[Write]:
    """1. Labels the bot uses must exist, with its colour and description, before anything carries them."""
    writes: list[Write] = []
    finished = {ds.id for ds in step.desired.streams if (c := step.current.streams.get(ds.id)) and c.finished}
    for spec in step.desired.all_labels(left_as_is=finished):
        if spec.name.lower() not in step.current.repo_labels:
            writes.append(
                Write(
                    "POST",
                    (f"/repos/{step.owner}/{step.repo}/labels",),
                    {"name": spec.name, "color": spec.color, "description": spec.description},
                    f"create label {spec.name}",
                    ok_statuses=(422,),
                    creates_label=spec.name,
                )
            )
    return writes


def stream_writes(step: _Step) -> list[Write]:
    """2. One sub-issue per stream: created with its labels, or brought up to date (title, region, labels)."""
    writes: list[Write] = []
    current = step.current
    for ds in step.desired.streams:
        cur = current.streams.get(ds.id)
        want_labels = [s.name for s in ds.labels]
        if cur is None:
            body: str | NewRegion = NewRegion(ds.brief) if ds.brief is not None else ds.region
            data: dict[str, Any] = {"title": ds.title, "body": body, "labels": want_labels}
            if ds.assign:
                data["assignees"] = ds.assign
            if ds.issue_type:
                data["type"] = ds.issue_type
            writes.append(
                Write(
                    "POST",
                    (f"/repos/{step.owner}/{step.repo}/issues",),
                    data,
                    f"create sub-issue for stream {ds.id}: {ds.title}",
                    produces=ds.id,
                    tag=f"new:{ds.id}" if ds.issue_type or ds.assign else None,
                    link_to=(step.n, step.linked) if step.linked is not None else None,
                )
            )
            step.ids[ds.id], step.nums[ds.id] = NewId(ds.id), NewNumber(ds.id)
            continue
        patch: dict[str, Any] = {}
        if cur.title != ds.title:
            patch["title"] = ds.title
        body = markers.replace_region(cur.body, ds.region)
        if body != cur.body:
            patch["body"] = body
        if cur.closed and not cur.finished:  # the bot closed it as removed, and the stream is back
            patch.update(state="open", state_reason="reopened")
        typed = bool(ds.issue_type) and (cur.type_name or "").casefold() != (ds.issue_type or "").casefold()
        if typed:
            patch["type"] = ds.issue_type
        if patch:
            what = ", ".join(sorted(patch))
            writes.append(Write("PATCH", step.issue(cur.number), patch, f"update #{cur.number} ({what})",
                                tag=f"typed:{ds.id}" if typed else None))
        if cur.finished:
            continue  # a person closed it: it stays closed and its labels stay as they are
        have = cur.labels
        add = [name for name in want_labels if name.lower() not in have]
        if add:
            writes.append(
                Write("POST", step.issue(cur.number, "/labels"), {"labels": add},
                      f"label #{cur.number} {', '.join(add)}")
            )
        wanted = {x.lower() for x in want_labels}
        drop = [x for x in sorted(step.desired.labels.managed_state) if x in have and x not in wanted]
        old_agent = previous_agent(cur.body)
        if old_agent and old_agent in have and old_agent not in wanted:
            drop.append(old_agent)
        drop += [x for x in ds.drop
                 if x.lower() in have and x.lower() not in wanted and x.lower() not in drop]
        writes.extend(_unlabel(step.owner, step.repo, cur.number, name) for name in drop)
        writes.extend(assignee_writes(step, cur.number, ds.assign, ds.unassign, ds.id))
    return writes


def assignee_writes(step: _Step, number: int, add: list[str], remove: list[str], sid: str) -> list[Write]:
    """2b. The hand-off: people assigned when a stream becomes ready, unassigned if a blocker reopens."""
    writes: list[Write] = []
    if add:
        writes.append(Write("POST", step.issue(number, "/assignees"), {"assignees": add},
                            f"hand #{number} to {', '.join(add)}", tag=f"assigned:{sid}"))
    if remove:
        writes.append(Write("DELETE", step.issue(number, "/assignees"), {"assignees": remove},
                            f"take #{number} back from {', '.join(remove)}", ok_statuses=(404,)))
    return writes


def removal_writes(step: _Step) -> list[Write]:
    """3. Streams that left the plan: links go, the sub-issue is closed as not planned (never deleted)."""
    writes: list[Write] = []
    current = step.current
    our_ids = {s.id for s in current.streams.values()}
    for sid in step.desired.removed:
        cur = current.streams[sid]
        if markers.REMOVED_MARKER in cur.body:
            continue  # handled on an earlier sync (and if a person reopened it since, that is their call)
        for blocker in sorted(current.blocked_by.get(cur.number, set()) & our_ids):
            writes.append(
                deletion(
                    step.issue(cur.number, f"/dependencies/blocked_by/{blocker}"),
                    f"unblock #{cur.number} (stream {sid} removed)",
                )
            )
        patch = {
            "body": markers.replace_region(
                cur.body, removed_region(markers.region_of(cur.body), step.n, sid))
        }
        if not cur.closed:
            patch.update(state="closed", state_reason="not_planned")
        writes.append(
            Write("PATCH", step.issue(cur.number), patch, f"close #{cur.number}: stream {sid} removed")
        )
    return writes


def unlink_writes(step: _Step) -> list[Write]:
    """3b. Room under GitHub's 100 sub-issues: our removed streams' (closed) sub-issues leave the parent.

    They stay closed with their removed region and in the summary's record, so a stream put back finds its
    old sub-issue again (reopened and relinked) instead of a new one."""
    return [
        Write("DELETE", step.issue(step.n, "/sub_issue"), {"sub_issue_id": step.current.streams[sid].id},
              f"unlink #{step.current.streams[sid].number} (stream {sid} removed) from #{step.n}",
              ok_statuses=(404,))
        for sid in step.desired.unlink
    ]


def link_writes(step: _Step) -> list[Write]:
    """4. Link new (unless created linked) or never linked sub-issues to the parent, in stream order."""
    current, n = step.current, step.n
    return [
        Write(
            "POST",
            step.issue(n, "/sub_issues"),
            {"sub_issue_id": step.ids[ds.id]},
            f"link stream {ds.id} as a sub-issue of #{n}",
        )
        for ds in step.desired.streams
        if (ds.id not in current.streams and step.linked is None) or ds.id in current.unlinked
    ]


def order_writes(step: _Step) -> list[Write]:
    """5. Keep the sub-issues in stream order: move only those outside the longest run already in order,
    each right after its predecessor in the plan (the first before the first one that stays)."""
    current, desired, n = step.current, step.desired, step.n
    linked = [sid for sid in current.streams if sid not in current.unlinked]
    new = [ds.id for ds in desired.streams if ds.id not in current.streams]
    relinked = [ds.id for ds in desired.streams if ds.id in current.unlinked]
    # Created linked, new ones come before the relinked ones; otherwise all are linked in stream order.
    either = [ds.id for ds in desired.streams if ds.id not in current.streams or ds.id in current.unlinked]
    appended = new + relinked if step.linked is not None else either
    return [
        Write(
            "PATCH",
            step.issue(n, "/sub_issues/priority"),
            {"sub_issue_id": step.ids[sid], f"{side}_id": step.ids[anchor]},
            f"move stream {sid} into stream order under #{n}",
        )
        for sid, side, anchor in reorder_moves(linked + appended, [ds.id for ds in desired.streams])
    ]


def dependency_writes(step: _Step) -> list[Write]:
    """6. "B depends on A" -> B blocked by A; links between our sub-issues the plan no longer has go.

    Every link that goes is removed before any is added: the plan is free of cycles (else nothing is
    written), so the links at every moment are part of the old plan's or the new one's, and GitHub never
    refuses one as circular (a plan turning "B after A" into "A after B" would otherwise be refused).
    """
    writes: list[Write] = []
    removals: list[Write] = []
    if not step.desired.config.sub_issues.blocked_by:
        return writes  # switched off: none made, and those made earlier are left as they are
    current = step.current
    our_ids = {s.id for s in current.streams.values()}
    for ds in step.desired.streams:
        cur = current.streams.get(ds.id)
        have_ids = current.blocked_by.get(cur.number, set()) if cur is not None else set()
        want_ids: set[int] = set()
        for dep in ds.deps:
            dep_id = step.ids.get(dep)
            if dep_id is None:
                continue
            if isinstance(dep_id, int):
                want_ids.add(dep_id)
                if dep_id in have_ids:
                    continue
            writes.append(
                Write(
                    "POST",
                    step.issue(step.nums[ds.id], "/dependencies/blocked_by"),
                    {"issue_id": dep_id},
                    f"stream {ds.id} blocked by stream {dep}",
                )
            )
        if cur is not None:
            for stale in sorted((have_ids & our_ids) - want_ids):
                removals.append(
                    deletion(
                        step.issue(cur.number, f"/dependencies/blocked_by/{stale}"),
                        f"stream {ds.id} no longer blocked by issue id {stale}",
                    )
                )
    return removals + writes


def parent_writes(step: _Step) -> list[Write]:
    """7. The issue's own labels (one call) and its task-level blocked-by links."""
    writes: list[Write] = []
    current, desired, n = step.current, step.desired, step.n
    have = current.parent.labels
    add = [s.name for s in desired.parent_labels if s.name.lower() not in have]
    if add:
        writes.append(Write("POST", step.issue(n, "/labels"), {"labels": add},
                            f"label #{n} {', '.join(add)}"))
    # Of the managed labels only plan:invalid goes on the issue itself (stream:ready is a sub-issue's).
    invalid = desired.labels.invalid
    if invalid.name.lower() in have and invalid not in desired.parent_labels:
        writes.append(_unlabel(step.owner, step.repo, n, invalid.name))
    wanted = {s.name.lower() for s in desired.parent_labels}
    for name in desired.stale_labels:  # a renamed bot label: the old name leaves the plan's issue
        if name.lower() in have and name.lower() not in wanted and name.lower() != invalid.name.lower():
            writes.append(_unlabel(step.owner, step.repo, n, name))
    if desired.close_parent:
        writes.append(Write("PATCH", step.issue(n), {"state": "closed", "state_reason": "completed"},
                            f"close #{n}: every stream is done"))
    for d in desired.issue_deps:
        dep_issue = current.issue_deps.get(d)
        if dep_issue is not None and dep_issue.id not in current.parent_blocked_by:
            writes.append(
                Write("POST", step.issue(n, "/dependencies/blocked_by"), {"issue_id": dep_issue.id},
                      f"#{n} blocked by #{d}")
            )
    for d in desired.stale_deps:
        dep_issue = current.issue_deps.get(d)
        if dep_issue is not None and dep_issue.id in current.parent_blocked_by:
            writes.append(
                deletion(step.issue(n, f"/dependencies/blocked_by/{dep_issue.id}"),
                         f"#{n} no longer blocked by #{d}")
            )
    return writes


def conflict_writes(step: _Step) -> list[Write]:
    """8. conflicts_with: a label and one comment (edited in place) on the other issue; drops undone."""
    writes: list[Write] = []
    current, desired, n = step.current, step.desired, step.n
    owner, repo = step.owner, step.repo
    flag = desired.labels.conflict.name
    for m in desired.stale_conflicts:
        target = current.conflicts[m]
        if target.comment is not None:
            writes.append(deletion(comment_path(owner, repo, target.comment),
                                   f"remove conflict note on #{m}"))
        if target.issue is not None and flag.lower() in target.issue.labels and not target.others:
            writes.append(_unlabel(owner, repo, m, flag))
    if (desired.stale_conflicts and not desired.conflicts and not current.flagged_by
            and flag.lower() in current.parent.labels):
        writes.append(_unlabel(owner, repo, n, flag))
    for m in desired.conflicts:
        target = current.conflicts[m]
        assert target.issue is not None
        if flag.lower() not in target.issue.labels:
            writes.append(
                Write("POST", step.issue(m, "/labels"), {"labels": [flag]}, f"label #{m} {flag}",
                      labels_other=m)
            )
        if not target.others:  # a renamed conflict label: the old name leaves the flagged issue
            writes += [_unlabel(owner, repo, m, x) for x in desired.stale_labels
                       if x.lower() in target.issue.labels and x.lower() != flag.lower()]
        writes += comment_writes(owner, repo, m, target.comment, conflict_comment(n, m),
                                 f"conflict note on #{m}")
    return writes


def in_order(order: list[str], want: list[str]) -> set[int]:
    """Indices into `want` of a longest subsequence already in the right relative order in `order`."""
    pos = {sid: k for k, sid in enumerate(order)}
    seq = [pos.get(sid, -1) for sid in want]
    best: list[list[int]] = []
    for i, p in enumerate(seq):
        chain: list[int] = []
        for j in range(i):
            if seq[j] < p and len(best[j]) > len(chain):
                chain = best[j]
        best.append([*chain, i])
    longest: list[int] = []
    for chain in best:
        if len(chain) > len(longest):
            longest = chain
    return set(longest)


def reorder_moves(order: list[str], want: list[str]) -> list[tuple[str, str, str]]:
    """Moves (item, side, anchor) putting `want` in order within `order`, as few as possible."""
    if len(want) < 2:
        return []
    keep = in_order(order, want)
    first_kept = want[min(keep)]
    return [
        (sid, "after", want[i - 1]) if i > 0 else (sid, "before", first_kept)
        for i, sid in enumerate(want)
        if i not in keep
    ]


def _before(numbers: dict[str, int], sid: str) -> dict[str, int]:
    """The entries of `numbers` before `sid`'s."""
    return dict(takewhile(lambda item: item[0] != sid, numbers.items()))


def brief_links(desired: DesiredState, current: CurrentState) -> int:
    """The writes `brief_link_writes` makes once this run's sub-issues exist: one per new sub-issue whose
    brief names one created after it (new ones are created in plan order)."""
    later: set[str] = set()
    count = 0
    for ds in reversed(desired.streams):
        if ds.id in current.streams:
            continue
        if ds.brief is not None and not later.isdisjoint(ds.brief.refers_to()):
            count += 1
        later.add(ds.id)
    return count


def brief_link_writes(
    desired: DesiredState, current: CurrentState, refs: dict[str, tuple[int, int]], owner: str, repo: str
) -> list[Write]:
    """After this run's sub-issues exist: the regions that can now name them, brought up to date.

    Only a first sync (or one adding streams) has any: the next run computes the same regions up front.
    In a dry run the new sub-issues have no number yet (refs hold 0): a stand-in shows what would change.
    """
    stand_in = 10**12
    numbers = {sid: num if num > 0 else stand_in + k for k, (sid, (num, _id)) in enumerate(refs.items())}
    known = numbers_of(current)  # what the regions of `desired` were rendered with
    writes: list[Write] = []
    for ds in desired.streams:
        if ds.brief is None or ds.id not in numbers:
            continue
        cur = current.streams.get(ds.id)
        # A new sub-issue's region was rendered as it was created (NewRegion): with the numbers of those
        # before it in `refs`, which lists the existing ones first, then the new ones in the order made.
        seen = known if cur is not None else _before(numbers, ds.id)
        if all(numbers.get(sid) == seen.get(sid) for sid in ds.brief.refers_to()):
            continue  # no number it shows is new: the region is the one already rendered
        region = render_region(ds.brief, numbers)
        shown = ds.region if cur is not None else render_region(ds.brief, seen)
        if region == shown:
            continue
        written = markers.replace_region(cur.body, shown) if cur is not None else shown
        body = markers.replace_region(written, region)
        number = refs[ds.id][0]
        part: Part = str(number) if number > 0 else NewNumber(ds.id)
        writes.append(
            Write("PATCH", (f"/repos/{owner}/{repo}/issues/", part), {"body": body},
                  f"update stream {ds.id}'s sub-issue (body: links to the new sub-issues)")
        )
    return writes
