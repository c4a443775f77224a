"""The configuration file: defaults are the conventions, findings carry lines, `config check` prints them."""

from __future__ import annotations

import subprocess
import sys
import time
import typing
from pathlib import Path

import pytest

from bot.cli import main
from bot.conventions import LABEL_DEFAULTS
from bot.repoconfig import DEFAULT_CONFIG, load_config_text
from bot.repoconfig.model import COPILOT_LOGIN, RepoConfig
from bot.sync import labels as L
from tests.environment import process_env
from tests.paths import ROOT

EXAMPLE = ROOT / "bot" / "examples" / "parallel-work-bot.yml"


def test_no_file_and_an_empty_file_are_the_defaults() -> None:
    for text in (None, "", "\n# only a comment\n"):
        config, findings = load_config_text(text)
        assert config == DEFAULT_CONFIG and findings == []


def test_the_defaults_are_the_bots_conventions() -> None:
    labels = L.label_set(DEFAULT_CONFIG)
    assert labels == L.DEFAULT_LABELS
    assert {s.name: (s.color, s.description) for s in
            (labels.plan, labels.invalid, labels.conflict, labels.stream, labels.ready)} == LABEL_DEFAULTS
    assert labels.agent("Backend Specialist") == L.agent_label("Backend Specialist")
    assert DEFAULT_CONFIG.trigger_permission == "write" and DEFAULT_CONFIG.automatic
    assert not DEFAULT_CONFIG.close_plan_when_done and DEFAULT_CONFIG.handoff == []


def test_the_example_file_is_valid_and_sets_what_it_says() -> None:
    config, findings = load_config_text(EXAMPLE.read_text(encoding="utf-8"), str(EXAMPLE))
    assert findings == []
    assert config.labels.spec("ready")[0] == "ready-for-agent"
    assert config.sub_issues.type == "Task"
    assert config.handoff_for("backend-specialist") == (["claude-code", "ready-to-start"], ["octocat"])
    assert config.handoff_for("frontend") == (["ready-to-start"], [])


def test_every_key_of_the_model_is_in_the_example_and_the_readme() -> None:
    example = EXAMPLE.read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    def keys(model: type, prefix: str = "") -> list[str]:
        out = []
        for name, info in model.model_fields.items():  # type: ignore[attr-defined]
            out.append(prefix + name)
            sub = info.annotation
            inner = typing.get_args(sub)
            if inner and isinstance(inner[0], type) and hasattr(inner[0], "model_fields"):
                sub = inner[0]  # a list of models (handoff rules)
            if isinstance(sub, type) and hasattr(sub, "model_fields"):
                out += keys(sub, prefix + name + ".")
        return out

    for key in keys(RepoConfig):
        leaf = key.rsplit(".", 1)[-1]
        assert f"{leaf}:" in example, key
        assert f"`{leaf}`" in readme, key


def test_unknown_keys_and_bad_values_are_findings_with_lines_and_the_rest_counts() -> None:
    text = (
        "labels:\n"                          # 1
        "  prefix: pwb/\n"                   # 2
        "  ready: {name: ready-for-agent, color: zz}\n"  # 3
        "  colour: red\n"                    # 4
        "sub_issues:\n"                      # 5
        "  title: 'S {id} {nope}'\n"          # 6
        "  enabled: sometimes\n"             # 7
        "handoff:\n"                         # 8
        "  - agent: backend\n"               # 9
        "    assignees: [alice, 'not a login!', copilot]\n"  # 10
        "automatic: false\n"                 # 11
        "trigger_permission: read\n"         # 12
    )
    config, findings = load_config_text(text)
    lines = [int(f.message.split(" line ", 1)[1].split(":", 1)[0]) for f in findings]
    assert lines == sorted(lines) == [3, 4, 6, 7, 10, 12]
    assert "unknown key labels.colour" in findings[1].message
    # What was right still counts; what was wrong keeps its default.
    assert config.labels.prefix == "pwb/" and config.labels.spec("ready") == (
        "pwb/ready-for-agent", LABEL_DEFAULTS["stream:ready"][0], LABEL_DEFAULTS["stream:ready"][1])
    assert config.sub_issues.title == DEFAULT_CONFIG.sub_issues.title and config.sub_issues.enabled
    assert config.handoff[0].assignees == ["alice", COPILOT_LOGIN]
    assert config.automatic is False and config.trigger_permission == "write"


@pytest.mark.parametrize("text", ["labels: [1", "- a list\n", "just text", "\tbad: tab"])
def test_a_file_that_is_not_a_mapping_is_one_finding_and_the_defaults(text: str) -> None:
    config, findings = load_config_text(text)
    assert config == DEFAULT_CONFIG and len(findings) == 1 and " line " in findings[0].message


def test_label_names_beyond_githubs_limits_or_clashing_are_findings() -> None:
    config, findings = load_config_text("labels:\n  prefix: " + "x" * 45 + "\n")
    assert config.labels == DEFAULT_CONFIG.labels and findings
    config, findings = load_config_text("labels:\n  ready: {name: stream}\n")
    assert config.labels == DEFAULT_CONFIG.labels and "same name" in findings[0].message


def test_config_check_prints_findings_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("automatic: maybe\nlables: {}\n")
    assert main(["config", "check", str(bad)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{bad} line 1: automatic")
    assert out[1] == f"{bad} line 2: unknown key lables: ignored"
    good = tmp_path / "good.yml"
    good.write_text(EXAMPLE.read_text(encoding="utf-8"))
    assert main(["config", "check", str(good)]) == 0
    assert capsys.readouterr().out.strip() == f"{good}: no findings"
    assert main(["config", "check", str(tmp_path / "missing.yml")]) == 0
    assert "the defaults apply" in capsys.readouterr().out


def test_config_check_says_copilot_needs_a_user_token(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("handoff:\n  - agent: '*'\n    assignees: ['@Copilot']\n")
    done = subprocess.run([sys.executable, "-m", "bot", "config", "check", str(path)], capture_output=True,
                          text=True, cwd=ROOT, env=process_env(ROOT))
    assert done.returncode == 0, done.stderr
    assert "needs a user token" in done.stdout and "no findings" in done.stdout


def test_hostile_files_end_quickly_with_findings() -> None:
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{k}: &{k} [{', '.join(['*' + chr(ord(k) - 1)] * 10)}]\n" for k in "bcdefghi")
    deep = "analysis_paths: " + "[" * 5000 + "]" * 5000 + "\n"
    many = "".join(f"key{k}: 1\n" for k in range(3000))
    for text in (laughs + "analysis_paths: *i\n", deep, many, "labels:\n  prefix: " + "p" * 70000):
        started = time.perf_counter()
        config, findings = load_config_text(text)
        assert time.perf_counter() - started < 5  # a bound against runaway work, not a timing figure
        assert config == DEFAULT_CONFIG and 0 < len(findings) <= 60


def test_bad_list_items_are_left_out_and_an_emptied_list_keeps_its_default() -> None:
    config, findings = load_config_text("analysis_paths: [../outside, docs/*-analysis.md, /etc/x]\n")
    assert config.analysis_paths == ["docs/*-analysis.md"] and len(findings) == 2
    assert all(f.message.endswith("left out") for f in findings)
    config, findings = load_config_text("analysis_paths: [../outside]\n")
    assert config.analysis_paths == DEFAULT_CONFIG.analysis_paths and len(findings) == 1


def test_too_many_hand_off_labels_drop_the_rules_only() -> None:
    rules = "".join(f"  - labels: [l{i}]\n" for i in range(25))
    config, findings = load_config_text("automatic: false\nhandoff:\n" + rules)
    assert config.handoff == [] and config.automatic is False
    assert len(findings) == 1 and "line 2: handoff" in findings[0].message


@pytest.mark.parametrize("title", ["{name:>999999999999} {id}", "{id!r}", "{0} {id}", "{id", "{name}"])
def test_a_title_template_takes_only_plain_placeholders(title: str) -> None:
    config, findings = load_config_text(f"sub_issues:\n  title: '{title}'\n")
    assert config.sub_issues.title == DEFAULT_CONFIG.sub_issues.title and len(findings) == 1
