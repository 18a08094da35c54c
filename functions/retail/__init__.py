"""Retail domain: stores, cash registers, sales and returns (see README.md)."""
