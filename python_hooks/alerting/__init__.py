"""Alerting, in three parts the `nba-fs alerts` command (python_hooks/alerts.py)
puts together and `nba-fs report` reuses without importing a command:

* :mod:`.rules` - pure evaluators: rows in, alerts out;
* :mod:`.sources` - reading the monitoring models, dbt's run results and
  dbt's source freshness, every bad input an alert of its own;
* :mod:`.delivery` - console, Slack, the audit file and suppression.
"""
