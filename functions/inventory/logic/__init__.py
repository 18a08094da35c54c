"""Business rules of the inventory domain (no HTTP, no pynamodb types in signatures)."""
