"""Verification: the status state machine, decisions (automated checks, reviewers, sandbox), requests for
information (RFIs) and the audit trail.

Invariants: a customer's or party's status changes only in ``transitions.transition`` /
``transitions.transition_party``, which check the table, stamp the times, write the audit row and the
``customer.status`` event in the caller's transaction. RFIs are never deleted: they move open -> answered ->
closed, and the detail shows the open ones.
"""
