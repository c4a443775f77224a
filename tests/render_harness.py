"""A real renderer for the tests: GitHub-flavoured markdown by cmark-gfm, Mermaid 11 in headless Chromium.

Many comments go on one page (one browser, one navigation), each in a box of GitHub's comment width; the page
script (tests/render/check.js) returns, per comment, the diagrams' errors and scales and what a reader would
trip over. `scripts/test` installs Chromium, cmark-gfm and the pinned npm packages (tests/render/).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.paths import ROOT

RENDER = ROOT / "tests" / "render"
MERMAID = RENDER / "node_modules" / "mermaid" / "dist" / "mermaid.min.js"
#: GitHub's comment body on a desktop browser is about this wide.
COMMENT_WIDTH = 900
#: Below this a diagram's labels are too small to read.
MIN_SCALE = 0.6


@dataclass
class Comment:
    """One comment to render: its markdown, the issue numbers and link prefixes the bot may make live."""

    id: str
    markdown: str
    refs: set[int] = field(default_factory=set)
    links: list[str] = field(default_factory=list)
    #: Text of the document that is shown as written (a hostile name), so not a markdown leak.
    exempt: list[str] = field(default_factory=list)


def missing_tools() -> list[str]:
    """What the renderer needs and this machine lacks (scripts/test installs them)."""
    out = [name for name in ("chromium", "cmark-gfm") if shutil.which(name) is None]
    if not MERMAID.is_file():
        out.append(f"npm packages in {RENDER.relative_to(ROOT)} (npm ci)")
    return out


def to_html(markdown: str) -> str:
    """GitHub's engine family with comment settings: a newline is a line break; tables, autolinks, tasks."""
    args = ["cmark-gfm", "--unsafe", "--hardbreaks", "--github-pre-lang", "--validate-utf8"]
    for ext in ("table", "strikethrough", "autolink", "tasklist"):
        args += ["-e", ext]
    done = subprocess.run(args, input=markdown.encode(), capture_output=True, timeout=60, check=True)
    return done.stdout.decode()


def _page(comments: list[Comment], dark: bool = False) -> str:
    boxes = []
    for c in comments:
        data = {"id": c.id, "refs": json.dumps(sorted(c.refs)), "links": json.dumps(c.links),
                "exempt": json.dumps(c.exempt)}
        attrs = " ".join(f'data-{k}="{html.escape(v)}"' for k, v in data.items())
        boxes.append(f'<article class="doc" {attrs}><div class="body">{to_html(c.markdown)}</div></article>')
    style = (
        f"body{{margin:0;font:14px/1.5 -apple-system,'Segoe UI','Noto Sans',Helvetica,Arial,sans-serif}}"
        f"article.doc{{width:{COMMENT_WIDTH}px;padding:0;margin:0 0 24px 0;overflow:hidden}}"
        ".diagram svg{max-width:100%;height:auto}"
    )
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<style>{style}</style>"
        f"<script src='{MERMAID.as_uri()}'></script>"
        f"<script src='{(RENDER / 'check.js').as_uri()}'></script>"
        "</head><body>" + "\n".join(boxes) + "</body></html>"
    )


class _Browser:
    """One headless Chromium, driven over the DevTools protocol (a websocket, with aiohttp)."""

    def __init__(self) -> None:
        self.profile = tempfile.TemporaryDirectory(prefix="pwb-render-")
        self.proc: asyncio.subprocess.Process | None = None
        self.http: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.next_id = 0

    async def start(self) -> None:
        chromium = shutil.which("chromium")
        assert chromium is not None
        self.proc = await asyncio.create_subprocess_exec(
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--remote-debugging-port=0", f"--user-data-dir={self.profile.name}",
            "--allow-file-access-from-files", f"--window-size={COMMENT_WIDTH + 40},900", "about:blank",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,  # its helpers (renderer, crashpad...) in its group, stopped with it
        )  # fmt: skip
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.proc.returncode is not None:
                raise RuntimeError("chromium did not start")
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        self.http = aiohttp.ClientSession()
        async with self.http.get(f"http://127.0.0.1:{port}/json/list") as resp:
            targets = await resp.json()
        page = next(t for t in targets if t.get("type") == "page")
        self.ws = await self.http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        assert self.ws is not None
        self.next_id += 1
        me = self.next_id
        await self.ws.send_json({"id": me, "method": method, "params": params})
        while True:
            msg = await self.ws.receive_json(timeout=180)
            if msg.get("id") == me:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result

    async def evaluate(self, expression: str) -> Any:
        got = await self.call(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in got:
            raise RuntimeError(f"page error: {got['exceptionDetails']}")
        return got["result"].get("value")

    async def stop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.http is not None:
            await self.http.close()
        if self.proc is not None:
            group = self.proc.pid
            if self.proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGTERM)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.proc.wait(), 10)
            # Chromium's helper processes may outlive it for a moment and still write into the profile.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            await self.proc.wait()
        for _ in range(50):
            try:
                self.profile.cleanup()
                return
            except OSError:  # a helper that was still exiting wrote a file meanwhile
                await asyncio.sleep(0.1)
        self.profile.cleanup()


async def _render(pages: list[str]) -> list[dict[str, Any]]:
    browser = _Browser()
    out: list[dict[str, Any]] = []
    try:
        await browser.start()
        for n, page in enumerate(pages):
            path = Path(browser.profile.name) / f"page{n}.html"
            path.write_text(page, encoding="utf-8")
            await browser.call("Page.navigate", url=path.as_uri())
            for _ in range(600):
                if await browser.evaluate("document.readyState === 'complete' && window.pageReady === true"):
                    break
                await asyncio.sleep(0.05)
            else:
                raise RuntimeError("the page did not load")
            out += await browser.evaluate("checkAll()")
    finally:
        await browser.stop()
    return out


def render(comments: list[Comment], per_page: int = 40) -> dict[str, dict[str, Any]]:
    """Each comment's report by id: leaks, mentions, refs, links, html and diagrams (error, scale...)."""
    pages = [_page(comments[i : i + per_page]) for i in range(0, len(comments), per_page)]
    reports = asyncio.run(_render(pages))
    return {r["id"]: r for r in reports}


def findings(report: dict[str, Any]) -> list[str]:
    """What a reader trips over in one rendered comment, as lines (empty when it reads well)."""
    out = [f"leak ({x['what']}) in <{x['where']}>: {x['text']!r}" for x in report["leaks"]]
    out += [f"live mention {m}" for m in report["mentions"]]
    out += [f"live reference {r}" for r in report["refs"]]
    out += [f"link to {u}" for u in report["links"]]
    out += [f"raw HTML {h}" for h in report["html"]]
    for n, d in enumerate(report["diagrams"], 1):
        if not d["ok"]:
            out.append(f"diagram {n}: {d['error']}")
            continue
        if d["scale"] is not None and d["scale"] < MIN_SCALE:
            out.append(f"diagram {n} shown at {d['scale']}× (natural size {d['size']})")
        for theme, value in d["contrast"].items():
            if value is not None and value < 3:
                out.append(f"diagram {n}: node text contrast {value:.2f} in the {theme} theme")
    if report.get("error"):
        out.append(f"page error: {report['error']}")
    return out
