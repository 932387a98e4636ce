"""Checks for MP3xx: see RULES.md."""

from __future__ import annotations
