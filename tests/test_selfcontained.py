"""A clone of the repository alone (no ../shared beside it) collects the whole suite and installs a demo that
checks the contract: everything the tests and the demo need is inside the repository."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    """A small environment of our own making: none of the caller's variables (PWB_*, BOT_LOGIN...) leak in."""
    return {"PATH": os.defpath, "HOME": str(tmp), "LANG": "C.UTF-8", **extra}


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed tree (HEAD) cloned into a folder with nothing beside it."""
    where = tmp_path_factory.mktemp("alone")
    target = where / "repo"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(target)], check=True, env=_env(where), timeout=120)
    assert not (where / "shared").exists()
    return target


def _collect(tree: Path, tmp: Path) -> tuple[int, str]:
    """How many tests pytest collects in `tree` (run there, importing that tree's code), and its output."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tree, env=_env(tmp, PYTHONPATH=str(tree)), capture_output=True, text=True, timeout=300)
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
                            text=True, env=_env(ROOT), timeout=60)
    return status.returncode == 0 and status.stdout.strip() == ""


def test_an_installed_demo_checks_the_contract(clone: Path, tmp_path: Path) -> None:
    """`pip install .` of the clone, run from elsewhere: the packaged description turns the check on."""
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps",
         "--disable-pip-version-check", "--target", str(site), str(clone)],
        check=True, env=_env(tmp_path), capture_output=True, timeout=300)
    assert (site / "bot" / "sandbox" / "data" / "openapi-subset.json").is_file()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, "-m", "bot", "demo", "--json"], cwd=elsewhere,
                            env=_env(tmp_path, PYTHONPATH=str(site)), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert report["contract_checked"] is True
    assert report["contract_violations"] == []
