"""Saved searches: a name for a query of the search language, kept in the store (table ``saved_search``).

Alert rules and digest subscriptions name one with ``search: NAME``; it is looked up when they match, so
editing a saved search changes what they select from then on. Feeds of the API take one by name too.
A query is validated (parsed) when it is saved; names are those of alerts.yaml: lower-case letters,
digits, ``-`` and ``_``.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import delete as sql_delete
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from pipeline.errors import RegwatchError
from pipeline.search.query import parse
from pipeline.store.models import SavedSearch
from pipeline.store.repo import Store

log = logging.getLogger(__name__)

NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
table = SavedSearch.__table__


class SavedSearchError(RegwatchError):
    """A saved search that does not exist, or a name that cannot be one."""

    stage = "search"


def check_name(name: str) -> str:
    if not NAME.match(name or ""):
        raise SavedSearchError(f"saved search name {name!r}: use lower-case letters, digits, '-' and '_' "
                               "(at most 64, starting with a letter or digit)")
    return name


def save(store: Store, name: str, query: str) -> None:
    """Save ``query`` as ``name`` (replacing the query of an existing one); QueryError if it does not parse."""
    check_name(name)
    parse(query)
    query = " ".join(query.split())
    now = store._clock()
    with store._write() as conn:
        insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
        statement = insert(table).values(name=name, query=query, created_at=now, updated_at=now)
        conn.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                     set_={"query": query, "updated_at": now}))
    log.info("saved search %s: %s", name, query)


def get(store: Store, name: str) -> str:
    """The query saved as ``name``; SavedSearchError naming it (and the saved ones) if there is none."""
    with store._read() as conn:
        query = conn.execute(select(table.c.query).where(table.c.name == name)).scalar()
        if query is None:
            known = list(conn.execute(select(table.c.name).order_by(table.c.name)).scalars())
    if query is None:
        raise SavedSearchError(f"no saved search named {name!r} (saved: {', '.join(known) or 'none'}; "
                               "add one with `regwatch searches save NAME QUERY`)")
    return str(query)


def list_saved(store: Store) -> list[tuple[str, str]]:
    """Every saved search as (name, query), by name."""
    with store._read() as conn:
        rows = conn.execute(select(table.c.name, table.c.query).order_by(table.c.name))
        return [(row.name, row.query) for row in rows]


def delete(store: Store, name: str) -> None:
    """Forget ``name``; SavedSearchError if there is no such saved search."""
    with store._write() as conn:
        removed = conn.execute(sql_delete(table).where(table.c.name == name)).rowcount
    if not removed:
        raise SavedSearchError(f"no saved search named {name!r}")

