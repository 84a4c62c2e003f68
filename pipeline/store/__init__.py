"""The store stage: SQLModel tables, engine factory, Alembic migrations and the repository API.

Nothing connects at import time; the caller passes the database URL down::

    store = Store.open(settings.resolved_database_url)
"""

from pipeline.store.db import make_engine, upgrade_db
from pipeline.store.items import ArchivedPage, DiscoveredItem, ItemRow
from pipeline.store.repo import NewArticle, SourceState, Store
from pipeline.store.stories import Stored

__all__ = [
    "ArchivedPage", "DiscoveredItem", "ItemRow", "NewArticle", "SourceState", "Store", "Stored", "make_engine",
    "upgrade_db",
]
