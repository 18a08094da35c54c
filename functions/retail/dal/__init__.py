"""Data access of the retail domain: the pynamodb models and the reads and writes on them."""
