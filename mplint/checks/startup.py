"""Checks for MP102, MP105, MP111: start methods and start() calls; see RULES.md."""

from __future__ import annotations
