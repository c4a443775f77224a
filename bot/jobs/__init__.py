"""Jobs: the unit of work (request), the queue that runs them, and what a job does (handler, analyze)."""
