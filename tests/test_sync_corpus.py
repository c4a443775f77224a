"""Every corpus document with streams, synced into a fresh repository: no contract violation, no exception."""

from __future__ import annotations

from bot.analysis.reader import read_analysis
from bot.sandbox import Sandbox
from bot.sync import sync_issue
from tests.paths import CORPUS
from tests.test_sync_support import client

DOCS = sorted((CORPUS / "docs").glob("*.md"))


async def test_every_corpus_document_syncs(sandbox: Sandbox) -> None:
    synced = 0
    async with client(sandbox) as gh:
        for i, path in enumerate(DOCS):
            text = path.read_bytes().decode("utf-8")  # keep CRLF documents as they are
            analysis = read_analysis(text)
            if analysis is None or not analysis.streams:
                continue
            repo = f"octo/corpus{i}"
            sandbox.add_repo(repo, installation_id=1)
            sandbox.set_permission(repo, "octocat", "write")
            # Posted on the issue the document names as its own (a plan for another issue is passed over).
            number = analysis.names_issue or 1
            for _ in range(number):
                sandbox.create_issue(repo, path.stem, "An issue with a plan in a comment.")
            sandbox.create_comment(repo, number, text)
            owner, name = repo.split("/")
            result = await sync_issue(gh, owner, name, number)
            again = await sync_issue(gh, owner, name, number)
            assert result.found_analysis, path.name
            assert again.writes == 0, (path.name, again.planned)
            snap = sandbox.snapshot(repo)
            subs = snap["issues"][str(number)]["sub_issues"]
            assert len(subs) == (0 if result.errors else len(analysis.streams)), path.name
            summaries = [
                c for c in snap["issues"][str(number)]["comments"] if "parallel-work-bot:summary" in c["body"]
            ]
            assert len(summaries) == 1, path.name
            synced += 1
    assert sandbox.violations == []
    assert synced >= 25  # not vacuous: the repository's corpus has 31 documents
