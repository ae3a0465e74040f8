"""Tollgate against Fin's own OpenAPI description (tests/reference/fin-customers-openapi.yml).

``run`` drives every Fin operation with schemathesis (valid and invalid requests, every built-in check,
customer ids taken from customers created first), sorts what it finds into differences Tollgate keeps on
purpose (``deviations``, each with its reason) and the rest, and ``report`` writes docs/conformance.md.
``python -m conformance`` (``make conformance``) starts a server of its own; tests/test_fin_conformance.py
runs a bounded pass against the suite's live server on SQLite and PostgreSQL.
"""
