"""What a reader sees, in figures: the scale each synthetic plan's diagram renders at, and the corpus
documents with any finding of the real renderer (cmark-gfm + Mermaid 11 in headless Chromium).

Run: python3 -m benchmarks.bench_render [CORPUS_FOLDER]  (prints figures; not a test; needs what
`bash scripts/test` installs)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import speed_line
from bot.analysis.reader import read_analysis
from tests import paths
from tests.render_harness import Comment, findings, missing_tools, render
from tests.test_rendering import SYNTHETIC, comments_of


def main(argv: list[str]) -> int:
    if missing := missing_tools():
        print(f"missing: {', '.join(missing)} (bash scripts/test installs them)")
        return 2
    if argv:
        paths.use_corpus(Path(argv[0]))
    comments: list[Comment] = []
    for name, text in SYNTHETIC.items():
        comments += comments_of(name, text)
    docs = sorted((paths.CORPUS / "docs").glob("*.md"))
    plans = 0
    for path in docs:
        text = path.read_text(encoding="utf-8")
        if read_analysis(text) is not None:
            plans += 1
            comments += comments_of(path.name, text)
    started = time.perf_counter()
    reports = render(comments)
    took = time.perf_counter() - started
    print(f"{len(comments)} comments rendered in {took:.1f} s (one browser)")
    for name in ("chain-8", "layered-25", "layered-60", "wide-60", "errors", "progress"):
        for d in reports[f"{name}: summary"]["diagrams"]:
            print(f"  {name:<11} diagram at {d['scale']}× (natural {d['size'][0]}×{d['size'][1]} px)")
    bad = sorted({c.id.split(":")[0] for c in comments if c.id.split(":")[0].endswith(".md")
                  and findings(reports[c.id])})
    print(f"corpus {paths.CORPUS}: {plans} plans of {len(docs)} documents; "
          f"{len(bad)} with any renderer finding")
    for name in bad:
        print("  ", name)
    return 0


if __name__ == "__main__":
    print(speed_line("before"), flush=True)
    code = main(sys.argv[1:])
    print(speed_line("after"))
    sys.exit(code)
