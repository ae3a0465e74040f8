"""Durable jobs: rows in the ``job`` table, written in the same transaction as the change that causes them,
claimed by workers with a lease (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), retried with backoff, and
finally parked as ``dead`` for an operator to inspect and retry.

Invariants: a job carries ids, not payload snapshots; a handler's writes and the job's completion commit in
one transaction, and only while the worker still holds the lease and before the kind's deadline; a running
handler's lease is renewed by a heartbeat; a job whose worker died is claimed again once its lease expires
(so handlers must be safe to run twice), or parked dead when that was its last attempt.
"""
