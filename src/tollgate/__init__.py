"""Tollgate: a self-hosted customer-onboarding server that speaks Fin.com's Customers API v2."""

__version__ = "0.1.0"
