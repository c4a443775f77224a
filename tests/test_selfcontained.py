"""A clone of the repository alone (no ../shared beside it) collects the whole suite and installs a demo that
checks the contract: everything the tests and the demo need is inside the repository."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.environment import process_env
from tests.paths import ROOT


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed tree (HEAD) cloned into a folder with nothing beside it."""
    where = tmp_path_factory.mktemp("alone")
    target = where / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True, env=process_env(where),
                   timeout=120)
    assert not (where / "shared").exists()
    return target


def _collect(tree: Path, tmp: Path) -> tuple[int, str]:
    """How many tests pytest collects in `tree` (run there, importing that tree's code), and its output."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tree, env=process_env(tmp, PYTHONPATH=str(tree)), capture_output=True, text=True, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    found = re.search(r"^(\d+) tests? collected in ", out, re.MULTILINE)  # no ", N errors"
    assert found, out[-3000:]
    return int(found.group(1)), out


def test_a_clone_alone_collects_every_test(clone: Path, tmp_path: Path) -> None:
    alone, _ = _collect(clone, tmp_path)
    # The clone has the same tests as this tree's committed state: the corpus and GitHub's data came along.
    here, _ = _collect(ROOT, tmp_path) if _committed() else (alone, "")
    assert alone == here
    assert alone > 850  # 868 when written: a module that fails to import would take tens with it


def _committed() -> bool:
    """True when this tree has no uncommitted test changes (then both trees must collect the same tests)."""
    status = subprocess.run(["git", "status", "--porcelain", "tests", "bot"], cwd=ROOT, capture_output=True,
                            text=True, env=process_env(ROOT), timeout=60)
    return status.returncode == 0 and status.stdout.strip() == ""


def test_an_installed_demo_checks_the_contract(clone: Path, tmp_path: Path) -> None:
    """`pip install .` of the clone, run from elsewhere: the packaged description turns the check on."""
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps",
         "--disable-pip-version-check", "--target", str(site), str(clone)],
        check=True, env=process_env(tmp_path, PYTHONPATH=""), capture_output=True, timeout=300)
    assert (site / "bot" / "sandbox" / "data" / "openapi-subset.json").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, "-m", "bot", "demo", "--json"], cwd=elsewhere,
                            env=process_env(tmp_path, PYTHONPATH=str(site)), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["contract_checked"] is True
    assert report["contract_violations"] == []


#: What an operator may have exported (README: BOT_LOGIN...), each set to a value that would break a test
#: that read it: a stranger's login, a server that is not there, a key file that does not exist.
HOSTILE = {
    "BOT_LOGIN": "someone-else[bot]", "BOT_PEERS": "mallory", "LOG_LEVEL": "DEBUG", "LOCAL_MODE": "1",
    "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none", "GITHUB_APP_ID": "999",
    "GITHUB_WEBHOOK_SECRET": "wrong", "GITHUB_API_URL": "http://127.0.0.1:9", "WRITE_PACING": "5",
    "GITHUB_PRIVATE_KEY_PATH": "/nonexistent.pem", "WEBHOOK_PATH": "/elsewhere", "HOST": "10.255.255.1",
    "PORT": "1", "GITHUB_TOKEN": "ghp_bogus", "GITHUB_REPOSITORY": "evil/repo", "GITHUB_ACTIONS": "true",
    "GITHUB_EVENT_NAME": "push", "GITHUB_EVENT_PATH": "/nonexistent.json",
}


def test_an_operators_exported_settings_change_no_test(clone: Path, tmp_path: Path) -> None:
    """The modules that start the bot as a process or read settings pass with every setting exported."""
    modules = ["tests/test_events.py", "tests/test_web_config.py", "tests/test_action.py",
               "tests/test_cli_sync.py", "tests/test_jobs_store.py",
               "tests/test_races.py::test_plan_edit_and_sub_issue_close_at_once_make_one_new_sub_issue"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *modules], cwd=clone,
        env=process_env(tmp_path, PYTHONPATH=str(clone), **HOSTILE), capture_output=True, text=True,
        timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    assert re.search(r"^\d+ passed", result.stdout, re.MULTILINE), result.stdout[-3000:]
