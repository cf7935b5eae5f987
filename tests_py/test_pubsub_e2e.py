"""Real Pub/Sub end to end: `nba-fs dispatch --sink pubsub` -> the Google Cloud
SDK's Pub/Sub emulator -> a push subscription -> a real worker process.

The emulator (Java, from the gcloud SDK) starts once for this module on
127.0.0.1 in its own process group and is stopped as a group; without it the
tests are skipped, saying why. The worker answers 503 to the first delivery of
every third player, so Pub/Sub must deliver those again; one request is also
published twice. Afterwards: exactly one active prediction per key
(game_id, player_lookup, system_id, line), and every request of the ledger is
accounted for by predictions with its correlation id (and nothing else).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
import zlib
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("google.cloud.pubsub_v1", reason="the [pubsub] extra is not installed")

from pubsub_fixtures import PubSubEmulator, WorkerProcess, emulator_launcher  # noqa: E402
from pylayer_fixtures import feature_row, write_feature_store  # noqa: E402
from python_hooks import warehouse  # noqa: E402

DAY = dt.date(2026, 1, 15)
PROJECT = "nba-e2e"
TOPIC = "prediction-requests"
TOKEN = "e2e-push-token"
NACK_EVERY = 3
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    launcher, why = emulator_launcher()
    if launcher is None:
        pytest.skip(f"Pub/Sub emulator not available: {why}")
    started = time.monotonic()
    emu = PubSubEmulator(launcher, tmp_path_factory.mktemp("pubsub"))
    emu.startup_s = time.monotonic() - started
    yield emu
    emu.stop()
    assert emu.proc.poll() is not None


def fixture_rows() -> list[dict]:
    rows = [feature_row(f"p{i:02d}_gold", DAY) for i in range(16)]
    rows += [feature_row(f"v{i:02d}_vegas_only", DAY, line=None) for i in range(4)]
    # passes the gate, stopped by the worker's floor: still recorded
    rows += [feature_row(f"u{i:02d}_unready", DAY, feature_quality_score=88.0,
                         is_quality_ready=False) for i in range(4)]
    return rows


def read(db: Path, sql: str) -> list[tuple]:
    def once() -> list[tuple]:
        con = duckdb.connect(str(db), read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()

    return warehouse.retry_on_lock(once, attempts=40, wait=0.25)


def test_dispatch_through_pubsub_push_to_the_worker(emulator, tmp_path, monkeypatch):
    from google.cloud import pubsub_v1

    started = time.monotonic()
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", emulator.host)
    db = tmp_path / "nba.duckdb"
    rows = fixture_rows()
    write_feature_store(str(db), rows)
    worker = WorkerProcess(db, tmp_path, nack_every=NACK_EVERY, token=TOKEN)
    try:
        publisher = pubsub_v1.PublisherClient()
        subscriber = pubsub_v1.SubscriberClient()
        topic = publisher.create_topic(name=publisher.topic_path(PROJECT, TOPIC)).name
        subscriber.create_subscription(
            name=subscriber.subscription_path(PROJECT, "worker-push"),
            topic=topic,
            push_config=pubsub_v1.types.PushConfig(push_endpoint=f"{worker.url}?token={TOKEN}"),
            ack_deadline_seconds=10,
        )
        env = dict(os.environ, NBA_PUBSUB_PROJECT=PROJECT, NBA_PUBSUB_TOPIC=TOPIC,
                   NBA_RUN_DATE=DAY.isoformat())
        run = subprocess.run(
            [str(BIN / "nba-fs"), "dispatch", "--date", DAY.isoformat(), "--db", str(db),
             "--sink", "pubsub", "--json"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout + run.stderr
        summary = json.loads(run.stdout)
        requests = len(rows)
        assert (summary["dispatched"], summary["publish_failed"], summary.get("not_sent", 0)) == (
            requests, 0, 0)

        # at-least-once: the same request published a second time
        ledger = read(db, "select request_json from nba_predictions.prediction_requests"
                          " where status = 'published' order by player_lookup limit 1")
        publisher.publish(topic, ledger[0][0].encode("utf-8"), player_lookup="again").result(30)

        # wait until every request has its records (redeliveries included)
        deadline = time.monotonic() + 45
        done = 0
        while time.monotonic() < deadline:
            done = read(db, "select count(distinct player_lookup) from"
                            " nba_predictions.player_prop_predictions")[0][0] if read(
                db, "select count(*) from information_schema.tables"
                    " where table_name = 'player_prop_predictions'")[0][0] else 0
            if done == requests:
                break
            time.sleep(0.5)
        assert done == requests, worker.log.read_text()[-2000:]
        time.sleep(2)  # let a late redelivery land before judging
        publisher.stop()
        subscriber.close()
    finally:
        worker.stop()

    log = worker.log.read_text()
    nacked = {line.split()[-1] for line in log.splitlines() if line.startswith("nack first delivery")}
    expected_nacks = {r["player_lookup"] for r in rows
                      if zlib.crc32(r["player_lookup"].encode()) % NACK_EVERY == 0}
    assert nacked == expected_nacks and nacked  # refused once, delivered again

    # exactly one active prediction per key
    doubled = read(db, """
        select game_id, player_lookup, system_id, line, count(*)
        from nba_predictions.player_prop_predictions where is_active
        group by all having count(*) > 1""")
    assert doubled == []
    # every request accounted for: ledger (latest status) vs predictions
    accounted = read(db, """
        with requests as (
            select * from (
                select *, row_number() over (partition by request_id
                    order by status = 'pending', created_at desc) as n
                from nba_predictions.prediction_requests) where n = 1
        ),
        predicted as (
            select correlation_id, count(*) as records, bool_and(is_active) as active,
                   bool_and(is_actionable) as actionable, any_value(filter_reason) as reason
            from nba_predictions.player_prop_predictions group by 1
        )
        select r.player_lookup, r.status, p.records, p.active, p.actionable, p.reason
        from requests r full join predicted p using (correlation_id)
        order by 1""")
    assert len(accounted) == len(rows)
    by_player = {a[0]: a[1:] for a in accounted}
    for row in rows:
        player = row["player_lookup"]
        status, records, active, actionable, reason = by_player[player]
        assert status == "published"
        if player.startswith("p"):
            assert (records, active, actionable, reason) == (5, True, True, None)
        elif player.startswith("v"):
            assert (records, active, actionable, reason) == (1, True, True, None)
        else:
            assert (records, active, actionable, reason) == (5, True, False, "not_quality_ready")
    elapsed = time.monotonic() - started
    print(f"\npubsub e2e: emulator start {emulator.startup_s:.1f} s, test {elapsed:.1f} s,"
          f" {len(rows)} requests, {len(nacked)} redelivered")
