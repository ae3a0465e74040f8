"""The database schema: Alembic migrations shipped inside the package (``tollgate/migrations``).

Nothing here depends on the current folder or on an ``alembic.ini``: the same calls work from the
repository, from an installed wheel and from tests. ``alembic.ini`` at the repository root points at the
same folder, for developers writing new migrations with the ``alembic`` command.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config

    from tollgate.kit.crypto import Keyring

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, keyring: Keyring | None = None) -> None:
    """Apply every migration up to the latest. Migrations that seal stored values use ``keyring``, or
    when None the configured keys (docs/security.md)."""
    from alembic import command

    cfg = alembic_config(url)
    cfg.attributes["keyring"] = keyring
    command.upgrade(cfg, "head")


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is migrated to; None when it has never been migrated."""
    from alembic.runtime.migration import MigrationContext

    from tollgate.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
