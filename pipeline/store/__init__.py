"""The store stage: SQLModel tables, engine factory, Alembic migrations and the repository API.

Nothing connects at import time; the caller passes the database URL down::

    store = Store.open(settings.resolved_database_url)
"""

from pipeline.store.db import make_engine, upgrade_db
from pipeline.store.repo import NewArticle, SourceState, Store

__all__ = ["NewArticle", "SourceState", "Store", "make_engine", "upgrade_db"]
