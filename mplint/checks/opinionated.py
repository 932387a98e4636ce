"""Checks for MP9xx: opinionated rules, off by default; see RULES.md."""

from __future__ import annotations
