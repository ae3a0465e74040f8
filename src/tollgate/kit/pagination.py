"""Fin's page-number pagination block."""

from __future__ import annotations

from pydantic import BaseModel


class Pagination(BaseModel):
    current_page: int
    per_page: int
    total_page: int
    total: int


def pagination(current_page: int, per_page: int, total: int) -> Pagination:
    total_page = (total + per_page - 1) // per_page if total else 0
    return Pagination(current_page=current_page, per_page=per_page, total_page=total_page, total=total)
