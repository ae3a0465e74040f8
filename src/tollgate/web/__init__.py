"""Server-rendered pages for people rather than API clients, starting with the terms-of-service page.

Invariants: these routes are outside Fin's API and outside the OpenAPI schema; they answer HTML, never Fin's
JSON error bodies. A customer's acceptance of the terms is recorded once (time, IP, user agent) and never
overwritten, whether it came from this page or from an integrator's attach call (the attestation); the first
acceptance made on the page writes an audit row. Every way of not matching a customer (unknown or malformed
id, wrong ``tos_policies_value``) gets the same 404 page, so the page is no oracle for either value.
"""
