"""Inventory domain: products, categories, suppliers, stock locations and stock levels.

handlers/ (parse and route) -> logic/ (business rules) -> dal/ (pynamodb). See README.md for
the endpoints, the tables and their access patterns.
"""
