"""Deterministic synthetic NBA raw data for the embedded warehouse: the production
raw tables of models/staging/_sources.yml in schema ``nba_raw``.

Entry points: ``generate(Config)`` builds every raw table, ``write_duckdb`` loads
them; the CLI is ``nba-fs generate`` (``python_hooks.sample_data.cli``).
"""

from .generator import PRESETS, Config, generate, write_duckdb
from .names import normalize_player_lookup

__all__ = ["PRESETS", "Config", "generate", "write_duckdb", "normalize_player_lookup"]
