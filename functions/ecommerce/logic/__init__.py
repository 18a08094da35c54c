"""Business rules of the e-commerce domain (no HTTP, no pynamodb types in the pure modules:
pricing, lifecycle, provider, idempotency)."""
