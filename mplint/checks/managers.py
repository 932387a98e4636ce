"""Checks for MP5xx: see RULES.md."""

from __future__ import annotations
