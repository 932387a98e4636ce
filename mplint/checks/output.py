"""Checks for MP6xx: output and logging; see RULES.md."""

from __future__ import annotations
