"""The pure plan core: read an analysis document, check the plan, render the summary (no I/O)."""
