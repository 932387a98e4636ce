"""Does a block leave early: a ``break``, ``return`` or ``raise`` in it (MP102 asks it of
the code around ``set_start_method``, MP111 of the loop around a second ``start()``).
"""

from __future__ import annotations

import libcst as cst

from mplint.facts import FastVisitor


class LeaveFinder(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def visit_Break(self, node: cst.Break) -> None:
        self.found = True

    def visit_Return(self, node: cst.Return) -> None:
        self.found = True

    def visit_Raise(self, node: cst.Raise) -> None:
        self.found = True
