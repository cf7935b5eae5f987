"""Deterministic synthetic NBA raw data (schema ``nba_raw``) for the embedded warehouse.

Entry points: ``generate(Config)`` builds every raw table, ``write_duckdb`` loads
them; the CLI is ``nba-fs generate`` (``python_hooks.sample_data.cli``).
"""

from .generator import PRESETS, Config, generate, write_duckdb
from .names import normalize_player_lookup

__all__ = ["PRESETS", "Config", "generate", "write_duckdb", "normalize_player_lookup"]
