"""`push` deliveries: plan files or the configuration added, changed or removed on the default branch ->
a push job."""

from __future__ import annotations

from gidgethub import routing, sansio

from bot.analysis.planfiles import plan_path
from bot.conventions import CONFIG_PATH, MAX_PLAN_FILES, MAX_PUSH_COMMITS_LISTED
from bot.events.common import Intake, installation_of, login_of, repo_of
from bot.jobs.request import JobRequest

router = routing.Router()

#: The sha a push payload gives for "no commit" (a created or deleted ref).
ZERO_SHA = "0" * 40


def may_matter(path: str) -> bool:
    """A changed path the push job looks at: the configuration file, or a markdown file (a repository's
    `analysis_paths` may name any; the web reads no configuration, so the job sorts them out)."""
    return path == CONFIG_PATH or path.endswith(".md")


@router.register("push")
async def pushed(event: sansio.Event, intake: Intake) -> None:
    """The default branch moved: the job finds the issues whose plan files changed and syncs each.

    The payload's `commits` name the files (added / modified / removed); a push of more than 20 commits
    leaves that to the job (the compare API); one that created the branch or was forced, to a scan. The
    job matches the files against the repository's `analysis_paths` and, when the configuration file is
    among them, syncs the repository's plans again.
    Pushes by any account count (only people and Apps with write access can push); ours never happen.
    """
    data = event.data
    repository = data["repository"]
    branch = str(repository.get("default_branch") or "")
    if not branch or data["ref"] != f"refs/heads/{branch}":
        return intake.ignore("not a push to the default branch")
    after, before = str(data.get("after") or ZERO_SHA), str(data.get("before") or ZERO_SHA)
    if data.get("deleted") or after == ZERO_SHA:
        return intake.ignore("branch deleted")
    if (data.get("sender") or {}).get("login") == intake.bot_login:
        return intake.ignore("pushed by the bot")
    owner, repo = repo_of(data)
    common = {"installation_id": installation_of(data), "owner": owner, "repo": repo, "number": 0}
    who = login_of({"user": data.get("sender")})
    if before == ZERO_SHA or data.get("forced"):
        # A new branch has no "before"; a forced push's `commits` (and compare, from the merge base) leave
        # out what the commits it dropped had changed: sync every issue the branch has plan files for.
        why = "branch created" if before == ZERO_SHA else "forced push"
        await intake.submit(JobRequest(kind="scan", ref=after, reason=f"{why} by {who}", **common))
        return None
    commits = [c for c in data.get("commits") or [] if isinstance(c, dict)]
    if len(commits) > MAX_PUSH_COMMITS_LISTED:
        await intake.submit(JobRequest(kind="push", ref=after, before=before, compare=True,
                                       reason=f"push of {len(commits)} commits by {who}", **common))
        return None
    paths = sorted({
        str(path) for c in commits for key in ("added", "modified", "removed")
        for path in c.get(key) or [] if isinstance(path, str) and may_matter(path)
    })
    if not paths:
        return intake.ignore("no plan file or configuration changed")
    if len(paths) > MAX_PLAN_FILES:  # the first ones, and the configuration whatever its place
        paths = sorted({*paths[:MAX_PLAN_FILES], *(p for p in paths if p == CONFIG_PATH)})
    what = "plan files" if all(plan_path(p) is not None for p in paths) else "markdown or configuration files"
    await intake.submit(JobRequest(kind="push", ref=after, before=before, paths=paths,
                                   reason=f"push of {len(paths)} {what} by {who}", **common))
    return None
