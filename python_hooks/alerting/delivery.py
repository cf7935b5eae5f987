"""Alert channels, the audit file and suppression.

Channels: the console (always) and a Slack incoming webhook
(``NBA_SLACK_WEBHOOK_URL``, overridden per severity by
``NBA_SLACK_WEBHOOK_URL_<SEVERITY>``; body ``{"text": ...}``; 3 attempts,
waits of 1 s then 2 s, through tenacity). Every alert gets one audit line
(JSON) recording what each channel really did: ``sent``, ``suppressed``,
``failed`` or ``off`` (not configured). Suppression is per channel: an alert
is not sent again on a channel that delivered it within the window at the same
or a higher severity, so a console-only run never suppresses a later Slack
message. The webhook URL (its path is the credential) never reaches the
console, a log line or the audit file: every text goes through
:func:`python_hooks.redact.redact`. The audit file is created readable by its
owner only (0600).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from python_hooks.alerting.rules import Alert, Severity, format_alert, input_alert
from python_hooks.redact import redact, url_secrets

log = logging.getLogger("nba_fs.alerts")

DEFAULT_DELAYS: tuple[float, ...] = (1.0, 2.0)
CHANNELS = ("console", "slack")


@dataclass(frozen=True)
class AuditRecord:
    """What suppression needs from one earlier audit line."""

    identity: tuple[Any, Any, Any]
    severity: Severity
    recorded_at: dt.datetime
    delivered_on: frozenset[str]


def read_audit(path: Path) -> tuple[list[AuditRecord], list[Alert]]:
    """Earlier deliveries, plus an alert about lines that could not be used
    (torn JSON, a time without a zone, an unknown severity). Never raises."""
    records: list[AuditRecord] = []
    problems: dict[str, int] = {}
    try:
        raw = path.read_bytes() if path.exists() else b""
    except OSError as exc:
        return [], [input_alert(Severity.WARNING, f"audit file {path}", f"unreadable ({exc.strerror});"
                                " suppression is off for this run", None)]
    for line in raw.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
        except ValueError:
            problems["unreadable line"] = problems.get("unreadable line", 0) + 1
            continue
        parsed, problem = _audit_record(record)
        if problem:
            problems[problem] = problems.get(problem, 0) + 1
        elif parsed is not None:
            records.append(parsed)
    alerts = []
    if problems:
        text = ", ".join(f"{n} {what}" for what, n in sorted(problems.items()))
        alerts.append(input_alert(Severity.WARNING, f"audit file {path}",
                                  f"{text}: ignored for suppression", None))
    return records, alerts


def _audit_record(record: Mapping[str, Any]) -> tuple[AuditRecord | None, str | None]:
    try:
        severity = Severity[str(record.get("severity", "INFO"))]
    except KeyError:
        return None, "unknown severity"
    try:
        at = dt.datetime.fromisoformat(str(record["recorded_at"]))
    except (KeyError, ValueError):
        return None, "unreadable time"
    if at.tzinfo is None:
        return None, "time without a time zone"
    channels = record.get("channels")
    if isinstance(channels, Mapping):
        delivered = frozenset(name for name, status in channels.items() if status == "sent")
    else:  # a line written before channels were recorded
        slack = record["slack"] if isinstance(record.get("slack"), Mapping) else {}
        delivered = frozenset()
        if record.get("delivered"):
            delivered = frozenset({"console"} | ({"slack"} if slack.get("ok") else set()))
    identity = (record.get("alert_type"), record.get("game_date"), record.get("key"))
    return AuditRecord(identity, severity, at, delivered), None


def is_suppressed(alert: Alert, audit: Sequence[AuditRecord], now: dt.datetime,
                  window: dt.timedelta, channel: str = "slack") -> bool:
    """Delivered on ``channel`` within the window at the same or a higher severity."""
    for record in audit:
        if channel not in record.delivered_on or record.identity != alert.identity():
            continue
        if record.severity < alert.severity:
            continue  # an escalation is always sent
        if dt.timedelta(0) <= now - record.recorded_at <= window:
            return True
    return False


class WebhookError(RuntimeError):
    pass


@dataclass
class SlackWebhook:
    """One POST of ``{"text": ...}``; raises on a non-2xx answer. Errors
    never carry the URL."""

    url: str
    timeout: float = 10.0
    name: str = "slack"

    def publish(self, message: Mapping[str, Any]) -> None:
        import requests

        try:
            response = requests.post(self.url, json=dict(message), timeout=self.timeout)
        except requests.RequestException as exc:
            raise WebhookError(self.redact(f"{type(exc).__name__}: {exc}")) from None
        if not 200 <= response.status_code < 300:
            raise WebhookError(self.redact(f"HTTP {response.status_code}: {response.text[:200]}"))

    def redact(self, text: str) -> str:
        return redact(text, secrets=url_secrets(self.url))

    def close(self) -> None:
        pass


def webhook_url(severity: Severity, env: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if env is None else env
    specific = environ.get(f"NBA_SLACK_WEBHOOK_URL_{severity.name}")
    return specific or environ.get("NBA_SLACK_WEBHOOK_URL") or None


def post_with_retry(hook: SlackWebhook, text: str, *, delays: Sequence[float],
                    sleep: Callable[[float], None]) -> dict[str, Any]:
    """``len(delays) + 1`` attempts (tenacity), waiting ``delays[i]`` between."""
    import tenacity

    attempts = len(delays) + 1
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        # tenacity also asks for the wait after the last attempt (then unused)
        wait=lambda state: delays[min(state.attempt_number, len(delays)) - 1] if delays else 0,
        sleep=sleep,
        reraise=True,
        before_sleep=lambda state: log.info(
            "slack attempt %d failed (%s); retrying", state.attempt_number,
            # tenacity types outcome Optional; it is set before before_sleep runs
            hook.redact(str(state.outcome.exception()))),  # type: ignore[union-attr]
    )
    attempt = 0
    try:
        for attempt_state in retrying:
            with attempt_state:
                attempt = attempt_state.retry_state.attempt_number
                hook.publish({"text": text})
    except Exception as exc:  # noqa: BLE001 - every failure is recorded, none crashes
        return {"configured": True, "ok": False, "attempts": attempt,
                "error": hook.redact(f"{type(exc).__name__}: {exc}")[:500]}
    return {"configured": True, "ok": True, "attempts": attempt, "error": None}


@dataclass
class Delivery:
    alert: Alert
    channels: dict[str, str] = field(default_factory=dict)
    slack: dict[str, Any] = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        """Nothing new delivered because every used channel had it already."""
        used = [s for s in self.channels.values() if s != "off"]
        return bool(used) and all(s == "suppressed" for s in used)

    @property
    def failed(self) -> bool:
        return "failed" in self.channels.values()

    @property
    def delivered(self) -> bool:
        return "sent" in self.channels.values() and not self.failed

    @property
    def status(self) -> str:
        if self.failed:
            return "failed"
        return "suppressed" if self.suppressed else "sent"


def deliver(
    alerts: Sequence[Alert],
    *,
    audit_file: Path,
    now: dt.datetime,
    window: dt.timedelta,
    env: Mapping[str, str] | None = None,
    delays: Sequence[float] = DEFAULT_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
    out: Any = None,
    audit: Sequence[AuditRecord] | None = None,
) -> list[Delivery]:
    """Console always (marked when already shown within the window); Slack
    unless it delivered the alert within the window; one audit line each."""
    out = out or sys.stdout
    if audit is None:
        audit, problems = read_audit(audit_file)
        alerts = list(problems) + list(alerts)
    deliveries = []
    for alert in alerts:
        url = webhook_url(alert.severity, env)
        secrets = url_secrets(url)
        text = redact(format_alert(alert), secrets=secrets)
        delivery = Delivery(alert)
        console_seen = is_suppressed(alert, audit, now, window, "console")
        delivery.channels["console"] = "suppressed" if console_seen else "sent"
        slack: dict[str, Any] = {"configured": False}
        if not url:
            delivery.channels["slack"] = "off"
        elif is_suppressed(alert, audit, now, window, "slack"):
            delivery.channels["slack"] = "suppressed"
        else:
            slack = post_with_retry(SlackWebhook(url), text, delays=delays, sleep=sleep)
            delivery.channels["slack"] = "sent" if slack["ok"] else "failed"
        delivery.slack = slack
        note = ""
        if delivery.channels["slack"] == "suppressed" or (url is None and console_seen):
            note = "\n  (suppressed: already sent within the window)"
        _print(text + note, out)
        if delivery.channels["slack"] == "failed":
            message = f"slack webhook failed after {slack['attempts']} attempts: {slack['error']}"
            _print("  " + message, out)
            log.warning("%s: %s", alert.alert_type, message)
        deliveries.append(delivery)
    try:
        write_audit(audit_file, deliveries, now, env=env)
    except OSError as exc:
        log.error("cannot write the audit file %s: %s", audit_file, redact(exc.strerror or exc))
        # Without its audit line a delivery cannot be suppressed or traced
        # later: the run says it failed (exit status at least 1).
        for delivery in deliveries:
            delivery.channels["audit"] = "failed"
    return deliveries


def _print(text: str, out: Any) -> None:
    try:
        print(text, file=out, flush=True)
    except (OSError, ValueError):  # a closed or broken console never stops delivery
        pass


def write_audit(path: Path, deliveries: Sequence[Delivery], now: dt.datetime,
                env: Mapping[str, str] | None = None) -> None:
    """Append one line per delivery; the file is created (and kept) 0600."""
    if not deliveries:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        lines = []
        for delivery in deliveries:
            record = asdict(delivery.alert)
            record["severity"] = delivery.alert.severity.name
            record.update(
                recorded_at=now.isoformat(),
                status=delivery.status,
                delivered=delivery.delivered,
                channels=dict(delivery.channels),
                slack=delivery.slack,
            )
            url = webhook_url(delivery.alert.severity, env)
            lines.append(redact(json.dumps(record, sort_keys=True, default=str),
                                secrets=url_secrets(url)) + "\n")
        os.write(fd, "".join(lines).encode("utf-8"))
    finally:
        os.close(fd)
