"""Reporting domain: sales, returns and online orders folded into daily aggregates by a
DynamoDB stream consumer, and the report API that answers from those aggregates.

handlers/ (the API resolver and the stream consumer) -> logic/ (pure rules, use cases) ->
dal/ (pynamodb). See README.md for the aggregate table design, idempotency and the reports.
"""
