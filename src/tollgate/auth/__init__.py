"""API clients (the tenants), their secrets, and the tokens they trade them for.

Invariants: a client secret is stored only as a peppered HMAC; access tokens are HS256 JWTs whose
``gen`` claim must equal the client's current ``secret_generation`` (rotating the secret revokes them);
refresh tokens are opaque, single-use, stored as SHA-256, and grouped in families whose reuse revokes
the whole family and the access tokens minted from it.
"""
