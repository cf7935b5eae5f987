"""Python layer beside the dbt project: sample data, dispatch, alerts, operations."""

__version__ = "0.1.0"
