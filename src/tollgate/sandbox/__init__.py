"""Sandbox mode: deterministic outcomes, simulated decisions, a clock per API client, reset, demo data,
fixtures and webhook fault injection (docs/sandbox.md).

Invariants:
- Nothing here is reachable in live mode: every ``/sandbox`` path answers 404, magic values are not read,
  client clocks are real time and webhook faults are off.
- Outcomes go through the same state machine (``verification.service``) and the same outbox as live mode:
  a sandbox decision is an ordinary decision whose actor is ``sandbox``.
- Everything acts on the calling API client only; another client's customer answers like an unknown one.
- A client's clock is real time plus an offset (``sandbox_client.clock_offset_us``); job rows stay on the
  server's clock (``kit.clock.server_time``).

This module stays import-light: ``runtime`` imports ``sandbox.clock``.
"""
