"""Paths to the test data, all inside the repository (a clone alone runs the whole suite).

`--shared-corpus PATH` (tests/fixtures/corpus.py) points CORPUS and NONPLANS at a fuller corpus instead, e.g.
../shared/corpus in CI; it is an explicit option, not an environment variable, so no test depends on the
environment it runs in.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The seed analysis, as shipped with the package (bot/examples).
SEED = ROOT / "bot" / "examples" / "4-analysis.md"
#: Corpus documents (docs/, tasks/, spec/) with their expected readings (expected.json).
CORPUS = ROOT / "tests" / "corpus"
#: Documents that are not plans (progress notes, stream files...), with their MANIFEST.tsv.
NONPLANS = CORPUS / "nonplans"
#: GitHub's REST description subset, packaged with the local GitHub.
OPENAPI = ROOT / "bot" / "sandbox" / "data" / "openapi-subset.json"
GITHUB = ROOT / "tests" / "github"
WEBHOOKS = GITHUB / "webhooks"
FIXTURES = GITHUB / "fixtures"
GRAPHQL = ROOT / "bot" / "sandbox" / "data" / "schema.graphql"


def use_corpus(path: Path) -> None:
    """Read the corpus from `path` instead of the in-repository one; a missing or partial one is an error."""
    global CORPUS, NONPLANS
    path = path.resolve()
    missing = [p for p in (path / "expected.json", path / "docs", path / "nonplans") if not p.exists()]
    if missing:
        raise FileNotFoundError(f"--shared-corpus {path}: missing {', '.join(str(p) for p in missing)}")
    CORPUS, NONPLANS = path, path / "nonplans"
