"""Customers (individuals and businesses) and their associated parties: create, list, read.

Invariants: a customer belongs to exactly one API client and is invisible to every other; it starts
INCOMPLETE and each associated party INITIATED; the request that created it is stored verbatim
(``payload``) beside the columns the API reads; ``seq`` numbers a client's customers of one type densely
from 1 in creation order, which is what makes any list page a range lookup (docs/adr/0003).
"""
