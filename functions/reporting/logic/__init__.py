"""Business rules and use cases of the reporting domain."""
