"""Contracts between domains: the request and answer models of one domain's internal interface
(and the types several domains' APIs share), importable by both sides without either importing
the other (every function package holds its own domain and ``shared`` only).

- ``shared.contracts.inventory``  the inventory interface (catalogue reads, stock changes,
                                  locations), invoked by retail and e-commerce
- ``shared.contracts.orders``     the order types the e-commerce API and the order saga API share
"""
