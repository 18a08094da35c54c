"""Business rules of the retail domain (no HTTP, no pynamodb types in signatures)."""
