"""Data access of the e-commerce domain: the pynamodb models and the reads and writes on them."""
