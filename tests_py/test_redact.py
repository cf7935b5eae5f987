"""Redaction of credentials in URLs (python_hooks/redact.py) and its use by the worker."""

from __future__ import annotations

import threading

import pytest
import requests

from python_hooks.redact import MARK, redact, redact_url, url_secrets


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://hooks.slack.com/services/T000/B000/XXXXSECRET", f"https://hooks.slack.com/{MARK}"),
        ("http://127.0.0.1:8080/predict?token=abc", f"http://127.0.0.1:8080/{MARK}"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("https://user:pass@example.com/x", f"https://example.com/{MARK}"),
        ("HTTPS://Example.com:443/a#frag", f"https://example.com:443/{MARK}"),
        ("http://[::1]:9000/p", f"http://[::1]:9000/{MARK}"),
        ("localhost:8080", MARK),
        ("", ""),
    ],
)
def test_redact_url(url, expected):
    assert redact_url(url) == expected


def test_redact_texts_of_libraries():
    slack = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"
    assert "XXXXSECRET" not in redact(f"ConnectionError: POST {slack} failed")
    urllib3 = ("HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded with url:"
               " /services/T000/B000/XXXXSECRET?token=abc (Caused by NewConnectionError(...))")
    text = redact(urllib3)
    assert "XXXXSECRET" not in text and "abc" not in text and "127.0.0.1" in text
    assert redact("GET /predict?token=abc HTTP/1.1") == f"GET /predict?{MARK} HTTP/1.1"
    assert redact("nothing to hide here") == "nothing to hide here"
    assert redact("token s3cr3t-value in prose", secrets=["s3cr3t-value"]) == f"token {MARK} in prose"


def test_url_secrets():
    found = url_secrets("https://u:pw1234@h.example/path/x?token=abcd&x=1")
    assert {"/path/x", "token=abcd&x=1", "abcd", "pw1234"} <= set(found)
    assert url_secrets(None) == []


def test_worker_request_log_has_no_token(tmp_path, capfd, caplog):
    # before: the request line "POST /predict?token=... HTTP/1.1" went to stderr
    import logging

    from python_hooks import warehouse
    from python_hooks.worker import Worker, make_server
    from pylayer_fixtures import feature_row, write_feature_store
    import datetime as dt

    db = str(tmp_path / "nba.duckdb")
    write_feature_store(db, [feature_row("ready", dt.date(2026, 1, 15))])
    worker = Worker(lambda: warehouse.DuckDBWarehouse(db, read_only=False))
    server = make_server(worker, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    caplog.set_level(logging.INFO)
    logger = logging.getLogger("nba_fs.worker")
    logger.addHandler(caplog.handler)  # also when the CLI's logging stopped propagation
    try:
        response = requests.post(
            f"http://127.0.0.1:{server.server_port}/predict?token=tok-s3cr3t",
            json={"player_lookup": "ready", "game_date": "2026-01-15", "line_values": [22.5]},
            timeout=10)
    finally:
        logger.removeHandler(caplog.handler)
        server.shutdown()
        server.server_close()
    out, err = capfd.readouterr()
    assert "tok-s3cr3t" not in out + err + caplog.text
    assert response.status_code == 200
    assert "/predict" in err + caplog.text  # the request is still logged
