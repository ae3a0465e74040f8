"""The reviewer console's domain: operators' browser sessions, the queue, case views, assignment, notes
and four-eyes decisions.

Invariants: a session cookie carries a random token whose SHA-256 alone is stored; every form posts the
session's CSRF token; an operator sees only the customers of their API clients (another tenant's customer
is a 404 like a missing one); every decision goes through ``verification.commands.handle`` with the
customer version the page was rendered with.
"""
