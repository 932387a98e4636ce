"""Loops around pool calls (MP306 pool-used-after-close, MP307 result-awaited-at-once):
what counts as a loop, and a loop that leaves after its first pass.
"""

from __future__ import annotations

import libcst as cst

LOOPS = (cst.For, cst.While, cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


def leaves_after_one_pass(loop: cst.CSTNode) -> bool:
    """A loop whose body ends in ``break``/``return``/``raise`` at its top level runs once."""
    if not isinstance(loop, cst.For | cst.While) or not isinstance(loop.body, cst.IndentedBlock):
        return False
    last = loop.body.body[-1] if loop.body.body else None
    return isinstance(last, cst.SimpleStatementLine) and any(
        isinstance(s, cst.Break | cst.Return | cst.Raise) for s in last.body
    )
