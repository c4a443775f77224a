"""Paths to the project and to ../shared (seed, corpus, GitHub's descriptions and payloads)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEED = SHARED / "seed" / "4-analysis.md"
CORPUS = SHARED / "corpus"
OPENAPI = SHARED / "github" / "openapi-subset.json"
WEBHOOKS = SHARED / "github" / "webhooks"
FIXTURES = SHARED / "github" / "fixtures"
#: Real CCPM documents that are not analyses (progress files, tasks, epics...), listed in MANIFEST.tsv.
NONPLANS = CORPUS / "nonplans"
