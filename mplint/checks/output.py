"""Checks for MP6xx and MP9xx: see RULES.md."""

from __future__ import annotations
