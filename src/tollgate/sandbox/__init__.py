"""Sandbox mode: deterministic outcomes, simulated decisions, a clock per API client, reset, demo data,
fixtures and webhook fault injection (docs/sandbox.md).

Invariants:
- Nothing here is reachable in live mode: every ``/sandbox`` path answers 404, magic values are not read,
  client clocks are real time and webhook faults are off.
- Outcomes go through the same command handler (``verification.commands``), state machine and outbox as
  live mode: a sandbox decision is an ordinary decision whose actor is ``sandbox``. Magic values reach the
  checks as the sandbox's policies (``sandbox.policies``), wired by the runtime; the core never imports
  this package.
- Everything acts on the calling API client only; another client's customer answers like an unknown one.
- A client's clock is real time plus an offset (``sandbox_client.clock_offset_us``); a unit of work carries it
  as ``skew``, and job rows stay on the server's clock (callers convert before queueing).

This module stays import-light: ``runtime`` imports ``sandbox.clock``.
"""
