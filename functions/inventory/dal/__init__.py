"""Data access of the inventory domain: the pynamodb models and the reads and writes on them."""
