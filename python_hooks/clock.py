"""The one clock: what "today" is for every command and for dbt.

The run date is the US Eastern calendar date at the moment a command runs
(NBA game dates are Eastern dates). Setting ``NBA_RUN_DATE=YYYY-MM-DD`` fixes
it: dbt's daily window (macro ``run_date`` in macros/date_window) reads the
same variable, so a past day can be run again exactly as it ran, and then
nothing reads the machine's clock or time zone. The time zone and the time of
day at which the daily production run happens are vars of dbt_project.yml
(``run_date_timezone``, ``daily_run_time``), read here and by dbt.

This module is the only place in the Python layer that reads the current
time; everything else asks it.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import Mapping
from zoneinfo import ZoneInfo

from python_hooks import contract

RUN_DATE_ENV = "NBA_RUN_DATE"
DATE_WORDS = {"yesterday": -1, "today": 0, "tomorrow": 1}


class ClockError(ValueError):
    """A run date or a date word that cannot be read (a user's mistake)."""


def timezone() -> ZoneInfo:
    """The time zone whose calendar date is the run date (US Eastern)."""
    return ZoneInfo(str(contract.threshold("run_date_timezone")))


def utc_now() -> dt.datetime:
    """The current moment, timezone-aware in UTC (the only read of the clock)."""
    return dt.datetime.now(dt.timezone.utc)


def run_date(env: Mapping[str, str] | None = None, now: dt.datetime | None = None) -> dt.date:
    """The run date: ``NBA_RUN_DATE`` when set, else today's Eastern date."""
    explicit = (os.environ if env is None else env).get(RUN_DATE_ENV, "").strip()
    if explicit:
        try:
            return dt.date.fromisoformat(explicit)
        except ValueError:
            raise ClockError(f"{RUN_DATE_ENV}={explicit!r} is not a date (YYYY-MM-DD)") from None
    moment = now or utc_now()
    if moment.tzinfo is None:
        raise ClockError("a naive time cannot give a run date: give it a time zone")
    return moment.astimezone(timezone()).date()


def resolve_date(value: str, *, env: Mapping[str, str] | None = None,
                 now: dt.datetime | None = None) -> dt.date:
    """One date grammar for every command: today, yesterday, tomorrow (from
    the run date) or an ISO date."""
    word = value.strip().lower()
    if word in DATE_WORDS:
        return run_date(env, now) + dt.timedelta(days=DATE_WORDS[word])
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ClockError(
            f"{value!r} is not a date: use today, yesterday, tomorrow or YYYY-MM-DD") from None


def daily_run_at(day: dt.date) -> dt.datetime:
    """When the daily production run of ``day`` happens, in UTC (aware): the
    sample's data cut-off and what a season replay hides data after."""
    hour, minute = (int(part) for part in str(contract.threshold("daily_run_time")).split(":"))
    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=timezone())
    return local.astimezone(dt.timezone.utc)
