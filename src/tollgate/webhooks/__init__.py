"""Webhooks: endpoints per API client, customer events (an outbox), signing, delivery and replay.

Invariants:
- An event is written in the same transaction as the change it reports, together with one delivery per
  subscribed, enabled endpoint and a job for each; nothing is sent before that transaction commits.
- The body of an event is built once and stored verbatim; every attempt, resend and ``tollgate listen``
  sends exactly those bytes, signed per attempt.
- A delivery makes at most one attempt at a time: the attempt number is taken under a row lock and the
  attempt is leased, so two workers never make the same attempt, and a worker that dies mid-attempt
  leaves a lease that expires and is taken over. An attempt's total deadline (connect, send and the whole
  answer) is shorter than its lease, so an attempt has always ended before its delivery can be taken over.
- For one endpoint, a customer's events go out in order: a delivery waits while an earlier event of the
  same customer is still pending for that endpoint.
- No HTTP request is made while a database transaction is open.
"""
