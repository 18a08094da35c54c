"""Data access of the reporting domain (pynamodb)."""
