"""API paths filled in before they reach gidgethub, so its URI-template engine has nothing left to expand."""

from __future__ import annotations

import re
from urllib.parse import quote

_VARIABLE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def api_path(template: str, **values: str | int) -> str:
    """`template` with each `{name}` replaced by its value, percent-encoded as RFC 6570's simple expansion
    does (everything but letters, digits and `-._~`): the same string gidgethub's uritemplate would make.

    gidgethub expands `url_vars` with uritemplate on every request, a good part of the client's own work
    a request; a filled-in path leaves it nothing to do. Only simple `{name}` expressions: a
    template with `{+path}` or `{?query}` still goes to gidgethub with its `url_vars`.
    """
    return _VARIABLE.sub(lambda m: quote(str(values[m.group(1)]), safe=""), template)
