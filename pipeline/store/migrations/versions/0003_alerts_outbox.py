"""The alert outbox: matches of watch rules, their deliveries per channel, and every delivery attempt.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27

- ``alert``: one match of a rule (alerts.yaml) on a story, written in the transaction that stores the
  article's analysis. ``dedup_key`` is unique: ``new:RULE:STORY`` (one alert per rule per story) or
  ``updated:RULE:STORY:FACTS`` (one update per new set of facts). ``payload`` is the message content
  as queued (title, link, event, evidence, sources, matched fields, changes).
- ``alert_delivery``: one row per alert and channel, with its state (queued, sent, dead), attempts,
  next attempt time and last error.
- ``alert_attempt``: every delivery attempt, successful or not.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("rule", sa.String(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("dedup_key", sa.String(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        _when("created_at", nullable=False),
        sa.UniqueConstraint("dedup_key", name="uq_alert_dedup_key"),
    )
    op.create_index("ix_alert_rule_story_id", "alert", ["rule", "story_id"])
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.Integer(),
                  sa.ForeignKey("alert.id", name="fk_alert_delivery_alert_id_alert", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        _when("sent_at"),
        _when("created_at", nullable=False),
        sa.UniqueConstraint("alert_id", "channel", name="uq_alert_delivery_alert_id_channel"),
    )
    op.create_index("ix_alert_delivery_state_next_attempt", "alert_delivery", ["state", "next_attempt"])
    op.create_table(
        "alert_attempt",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("delivery_id", sa.Integer(),
                  sa.ForeignKey("alert_delivery.id", name="fk_alert_attempt_delivery_id_alert_delivery",
                                ondelete="CASCADE"),
                  nullable=False),
        _when("at", nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("seconds", sa.Float(), nullable=True),
    )
    op.create_index("ix_alert_attempt_delivery_id", "alert_attempt", ["delivery_id"])


def downgrade() -> None:
    op.drop_table("alert_attempt")
    op.drop_table("alert_delivery")
    op.drop_table("alert")
