"""Prometheus metrics (see cases_metrics tests)."""
