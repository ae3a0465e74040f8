"""Verification: the status state machine, decisions (automated checks, reviewers, sandbox), requests for
information (RFIs) and the audit trail.

Invariants: a customer's or party's status changes only in ``transitions.transition`` /
``transitions.transition_party``, which check the table, stamp the times, write the audit row and the
``customer.status`` event in the caller's transaction. RFIs are never deleted: they move open -> answered ->
closed, and the detail shows the open ones.

People decide through ``commands.handle`` only (the operator API, the console, the CLI, the sandbox API):
it locks the customer, checks the state the decision expects (and the version its decider saw), and
refuses with a 409 saying why. Every change of a customer, its parties, RFIs or documents moves
``customer.version`` (``transitions.touch``). The checks of a submission decide only the status that
submission left the customer in (``attach_batch.expected_status``).
"""
