"""Inventory domain: products, categories, suppliers, stock locations and stock levels.

handlers/ (parse and route) -> logic/ (business rules, on the domain models of models.py) ->
dal/ (pynamodb; takes and returns the domain models). See README.md for the endpoints, the tables
and their access patterns.
"""
