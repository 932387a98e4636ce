"""Checks for MP108, MP109, MP110: fork, copy-on-write and threads; see RULES.md."""

from __future__ import annotations
