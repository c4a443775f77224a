"""The plan core's caps on untrusted input, in one place: past each, what was left out becomes a diagnostic.

Each cap keeps reading and checking linear in the document, whatever its text. The code that stops at a cap
reports it with the diagnostic code named in the comment, so nothing is cut silently. (The whole-input cap,
2,000,000 characters, "input-truncated", stays in reader.py; the locator's candidate caps in locate.py.)
"""

from __future__ import annotations

# --- reading (read_fields, read_streams, deps) -------------------------------------------------------------

#: Streams read from one document (GitHub takes 100 sub-issues; the sync writes no structure past that, and
#: per-stream work bounds the worst document that fits a comment); the rest: "streams-capped".
MAX_STREAMS = 500
#: Repeated stream ids named one by one; the rest are counted in one "stream-repeated" note.
MAX_REPEATS_NAMED = 20
#: Characters of one field line (or continuation item) read; the rest is reported ("field-truncated").
MAX_FIELD_CHARS = 4000
#: A label or table-header cell longer than this names no field (labels are a few words).
MAX_LABEL_CHARS = 80
#: Stream ids one stream may depend on ("all other streams" in a big plan); the rest: "dependencies-capped".
MAX_DEPENDENCIES = 100
#: Dependency links (stream -> stream) read in one plan, all streams together; past it: "dependencies-capped".
MAX_DEPENDENCY_LINKS = 10_000
#: External dependencies ("#12", "Task 60", prose items) kept per stream; the rest: "external-deps-capped".
MAX_EXTERNAL_DEPS = 50
#: File entries kept per stream; the rest: "files-capped".
MAX_FILES = 1000

# --- frontmatter (frontmatter) ------------------------------------------------------------------------------

#: Characters of frontmatter parsed as YAML; a longer one is read key by key ("frontmatter-invalid").
MAX_YAML_CHARS = 20_000
#: Nesting (flow `[`/`{`, chained `- - -`) allowed before YAML parsing; deeper is read key by key
#: ("frontmatter-invalid").
MAX_YAML_DEPTH = 20
#: A `key: value` salvaged from broken YAML is parsed only up to this length; longer ones are kept as text,
#: cut, and named in the "frontmatter-invalid" warning.
MAX_SALVAGE_VALUE = 1000
#: Issue numbers read from conflicts_with / depends_on (frontmatter and prose); the rest: "issues-capped".
MAX_ISSUE_REFS = 1000

# --- checking (overlaps) ------------------------------------------------------------------------------------

#: Above this many concurrent pairs on one path, report the path once with its streams instead of each pair.
MAX_PAIRS_PER_PATH = 10
#: At most this many file-overlap warnings; the rest are counted in one last warning.
MAX_OVERLAP_WARNINGS = 100
#: Overlapping entries named per pair of streams (the rest counted, "and N more"); a pair that reaches it
#: through globs is not compared again and says "and more".
MAX_FILES_PER_PAIR = 5
#: Paths longer than this are compared only for equality, not as globs ("overlap-check-partial").
MAX_PATH_CHARS = 300
#: Work units (entry comparisons, glob-automaton states) of one overlap check; past it the check stops
#: and says which entries it did not compare ("overlap-check-partial").
MAX_OVERLAP_WORK = 20_000
