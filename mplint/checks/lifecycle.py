"""Checks for MP2xx: see RULES.md."""

from __future__ import annotations
