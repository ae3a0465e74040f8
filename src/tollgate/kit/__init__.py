"""Domain-free helpers: clock, time formats, pagination, ids. Imports no domain package."""
