"""E-commerce domain: customers, carts, orders and payments (with a simulated payment provider).

handlers/ (parse and route: the REST API and the order saga's participant functions) ->
logic/ (business rules) -> dal/ (pynamodb). See README.md for the endpoints, the saga
contracts, the tables and their access patterns.
"""
