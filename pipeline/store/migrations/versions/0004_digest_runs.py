"""Digest runs: one row per digest subscription and scheduled slot, so a restart never sends it twice.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

- ``digest_run``: a digest sent (or being sent) for a subscription of alerts.yaml at a scheduled slot
  (UTC), the period of stories it covers, when it was sent and how many stories it held.
  ``(subscription, slot)`` is unique: the row is written before the message is sent.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "digest_run",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subscription", sa.String(), nullable=False),
        _when("slot", nullable=False),
        _when("period_start", nullable=False),
        _when("period_end", nullable=False),
        _when("sent_at"),
        sa.Column("story_count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("subscription", "slot", name="uq_digest_run_subscription_slot"),
    )


def downgrade() -> None:
    op.drop_table("digest_run")
