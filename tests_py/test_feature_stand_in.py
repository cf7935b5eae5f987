"""Feature 29's stand-in on the whole built default sample (docs/features.md).

With no game against the opponent in the last 365 days, feature 29
(avg_points_vs_opponent) is absent with raw source `fallback`: the row counts
it as a default (feature_29_value NULL, canonical source `default`), and the
vector carries the season average (feature 2) in its place; only when feature
2 is itself a default does the vector carry the contract default 10.0.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from python_hooks import contract
from python_hooks.warehouse import schema_name

FEATURES = f"{schema_name('predictions')}.ml_feature_store_v2"
COMPUTED = f"{schema_name('predictions')}.int_player_features_computed"
STAND_IN = 29
SEASON_AVERAGE = 2


def _counts(db: Path) -> tuple[int, ...]:
    # DuckDB lists are 1-based: features[i + 1] is feature i
    vector_29 = f"store.features[{STAND_IN + 1}]"
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            f"""
            select
                count(*) filter (where computed.f29_raw_source = 'fallback'),
                count(*) filter (
                    where computed.f29_raw_source = 'fallback'
                    and store.feature_2_value is not null),
                count(*) filter (
                    where computed.f29_raw_source = 'fallback'
                    and store.feature_2_value is not null
                    and {vector_29} is distinct from store.feature_2_value),
                count(*) filter (
                    where computed.f29_raw_source = 'fallback'
                    and store.feature_2_value is null
                    and {vector_29} is distinct from 10.0),
                count(*) filter (
                    where computed.f29_raw_source = 'fallback'
                    and (store.feature_29_value is not null
                         or store.feature_29_source != 'default')),
                count(*) filter (
                    where computed.f29_raw_source = 'fallback'
                    and store.feature_2_value is not null
                    and store.feature_2_value != 10.0)
            from {FEATURES} as store
            inner join {COMPUTED} as computed
                using (player_lookup, game_date)
            where store.game_date >= date '1946-11-01'
                and computed.game_date >= date '1946-11-01'
            """
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_the_contract_names_the_season_average_as_29s_stand_in() -> None:
    feature = contract.features()[STAND_IN]
    assert feature.source_absent == "fallback"
    assert contract.stand_in_index(feature) == SEASON_AVERAGE
    assert contract.features()[SEASON_AVERAGE].default == feature.default == 10.0


def test_fallback_rows_carry_the_season_average(default_warehouse_path: Path) -> None:
    (fallback, with_season_average, wrong, wrong_default, not_a_default,
     average_not_ten) = _counts(default_warehouse_path)
    # the sample has many such rows, most with a season average other than
    # 10 (so the old vector, always 10.0, was wrong on them)
    assert fallback > 1000
    assert with_season_average > 1000 and average_not_ten > 1000
    assert wrong == 0, f"{wrong} fallback rows whose vector[29] != feature 2"
    assert wrong_default == 0, f"{wrong_default} rows: feature 2 default, vector[29] != 10"
    assert not_a_default == 0, "feature 29 must still count as a default"
