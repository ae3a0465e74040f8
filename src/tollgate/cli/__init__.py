"""The ``tollgate`` command: serve, migrate, and manage API clients (and, later, workers and reviews)."""
