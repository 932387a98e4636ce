"""libcst's parse, without the node validation that a tree from its own parser never needs.

Every libcst node checks its fields as it is built (``CSTNode.__post_init__`` calls
``_validate``), so that code which builds nodes by hand cannot make an impossible tree.
The parser only builds trees it has just read from valid code, and those checks are 13%
of a parse (the 63 files of the standard library that mplint parses: 4.9 s of CPU with
them, 4.2 s without). libcst's own comment on ``__post_init__`` says as much.

So while mplint parses, ``__post_init__`` does nothing; nodes built anywhere else are
checked as usual. The switch is counted, like ``engine._NoCyclicGC``: threads parsing at
once (the language server) leave it off until the last one is done. A node another
thread builds by hand in that window goes unchecked; mplint's fixes are parsed again and
checked before they are offered, so nothing it writes depends on it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import libcst as cst

_lock = threading.Lock()
_holders = 0
_validating: Callable[[Any], None] | None = vars(cst.CSTNode).get("__post_init__")


def _trusted(self: Any) -> None:
    """A parsed node: nothing to check."""


def parse_module(source: str, config: cst.PartialParserConfig | None = None) -> cst.Module:
    """``cst.parse_module``, the nodes unchecked (see the module's docstring)."""
    global _holders
    if _validating is None:  # a libcst that checks nodes elsewhere: parse as it is
        return cst.parse_module(source, config) if config else cst.parse_module(source)
    with _lock:
        _holders += 1
        if _holders == 1:
            cst.CSTNode.__post_init__ = _trusted  # type: ignore[method-assign]
    try:
        return cst.parse_module(source, config) if config else cst.parse_module(source)
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                cst.CSTNode.__post_init__ = _validating  # type: ignore[method-assign, assignment]
