"""Checks for MP4xx: see RULES.md."""

from __future__ import annotations
