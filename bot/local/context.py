"""What a run from a checkout needs to know: the token, the repository, who the token is, where GitHub is."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from bot.conventions import ACTIONS_LOGIN, CONFIG_PATH, DEFAULT_BOT_LOGIN, Identity
from bot.repoconfig.load import MAX_CONFIG_CHARS, LoadedConfig, finding

#: Runs a command in a folder: (arguments, cwd) -> stdout, or None when it fails or is missing.
Runner = Callable[[Sequence[str], Path], "str | None"]

GITHUB_COM_API = "https://api.github.com"

_REMOTE = re.compile(
    r"^(?:https?://(?:[^@/]+@)?(?P<h1>[^/:]+)(?::\d+)?/|git@(?P<h2>[^:]+):|ssh://(?:[^@/]+@)?(?P<h3>[^/:]+)"
    r"(?::\d+)?/)(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+?)(?:\.git)?/?$")


class LocalError(Exception):
    """What stops a run before it starts (no token, no repository...): one line for the user."""


def run_command(args: Sequence[str], cwd: Path) -> str | None:
    """Run a command: its output, or None when it is missing or fails."""
    try:
        done = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def host_of(api_url: str) -> str:
    """The web host of an API URL: github.com for api.github.com, HOST for https://HOST/api/v3."""
    host = re.sub(r"^https?://", "", api_url).split("/", 1)[0]
    return "github.com" if host == "api.github.com" else host


def find_token(env: Mapping[str, str], run: Runner, cwd: Path, api_url: str = GITHUB_COM_API) -> str:
    """GITHUB_TOKEN, else GH_TOKEN, else what `gh auth token` prints (for the API's host)."""
    for name in ("GITHUB_TOKEN", "GH_TOKEN"):
        if env.get(name, "").strip():
            return env[name].strip()
    args = ["gh", "auth", "token"]
    if host_of(api_url) != "github.com":
        args += ["--hostname", host_of(api_url)]
    out = (run(args, cwd) or "").strip()
    if out:
        return out
    raise LocalError("no token: set GITHUB_TOKEN or GH_TOKEN, or log in with `gh auth login`")


def parse_remote(url: str) -> tuple[str, str] | None:
    """OWNER and NAME of a git remote URL (https, ssh or scp-like), or None."""
    m = _REMOTE.match(url.strip())
    return (m.group("owner"), m.group("name")) if m else None


def find_repo(given: str | None, run: Runner, cwd: Path) -> tuple[str, str]:
    """--repo OWNER/NAME, else the `origin` remote of the checkout in `cwd`."""
    if given:
        owner, _, name = given.partition("/")
        if not owner or not name or "/" in name:
            raise LocalError(f"--repo must be OWNER/NAME, not {given!r}")
        return owner, name
    url = (run(["git", "remote", "get-url", "origin"], cwd) or "").strip()
    found = parse_remote(url) if url else None
    if found is None:
        raise LocalError("no --repo given and no GitHub `origin` remote in this checkout")
    return found


def find_login(given: str | None, env: Mapping[str, str], run: Runner, cwd: Path,
               api_url: str = GITHUB_COM_API) -> str:
    """Who the token is (what it writes is the bot's own on the next run): --login, else PWB_LOGIN,
    else `gh api user`."""
    if given:
        return given
    if env.get("PWB_LOGIN", "").strip():
        return env["PWB_LOGIN"].strip()
    host = ["--hostname", host_of(api_url)] if host_of(api_url) != "github.com" else []
    out = (run(["gh", "api", *host, "user", "--jq", ".login"], cwd) or "").strip()
    if out:
        return out
    raise LocalError("cannot tell whose the token is: pass --login LOGIN (your GitHub login)")


def identity(login: str, peers: Sequence[str] = ()) -> Identity:
    """The bot as this door: its own login, with the App and the Action as peers (plus any given)."""
    return Identity(login, None, frozenset({DEFAULT_BOT_LOGIN, ACTIONS_LOGIN, *peers}) - {login})


def top_of(cwd: Path, run: Runner) -> Path:
    """The checkout's top folder (the folder itself when it is not a git checkout)."""
    out = (run(["git", "rev-parse", "--show-toplevel"], cwd) or "").strip()
    return Path(out) if out else cwd


def checkout_config(top: Path) -> LoadedConfig | None:
    """The checkout's `.github/parallel-work-bot.yml` (what the CLI and the Action hand the sync); None
    when the checkout has none (the sync then reads the repository's, as the App does)."""
    file = top / CONFIG_PATH
    try:
        with file.open("rb") as handle:
            data = handle.read(4 * MAX_CONFIG_CHARS + 1)  # more is a finding: no need to read it all
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    except OSError as exc:
        return LoadedConfig(findings=[finding(CONFIG_PATH, None, f"cannot be read ({exc.strerror}): "
                                                                 "the defaults apply")], source=CONFIG_PATH)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        if len(data) <= 4 * MAX_CONFIG_CHARS:
            return LoadedConfig(findings=[finding(CONFIG_PATH, None, "not UTF-8 text: the defaults apply")],
                                source=CONFIG_PATH)
        text = data.decode("utf-8", errors="replace")  # cut inside a character: too long anyway
    return LoadedConfig.from_text(text, CONFIG_PATH)
