"""The work queue of `regwatch worker` and the processes that serve it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28

- ``task``: one unit of work (``kind``: poll a source, carry an item through, deliver alerts, send a digest;
  ``key``: which one), its ``state`` (queued, running, done, dead), when it may run (``run_after``), how many
  times it was taken (``attempts``), the lease of the worker holding it (``lease_owner``, ``lease_expires``),
  the last error, and when it was created, changed and finished. A partial unique index allows one queued or
  running task per (kind, key): enqueueing is idempotent.
- ``worker``: each worker or scheduler process (id, role, host, pid), when it started and last reported,
  whether it leads (schedulers), how many tasks it finished and the one in hand.
- ``host_slot``: per-host politeness shared by all workers: when the next request to a host (``host:port``)
  may start, and until when it asked not to be contacted (Retry-After).
- ``apscheduler_jobs``: the leading scheduler's APScheduler jobs (their pickled state and next run time), in
  the table APScheduler's ``SQLAlchemyJobStore`` reads, so a restarted or new leader keeps the schedules.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "state IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table(
        "task",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("state", sa.String(), nullable=False),
        sa.Column("run_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(), nullable=True),
        sa.Column("lease_expires", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_task_state_run_after", "task", ["state", "run_after"])
    op.create_index("ix_task_finished_at", "task", ["finished_at"])
    op.create_index("uq_task_live_kind_key", "task", ["kind", "key"], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    op.create_table(
        "worker",
        sa.Column("id", sa.String(), primary_key=True),
        sa.Column("role", sa.String(), nullable=False),
        sa.Column("host", sa.String(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_leader", sa.Boolean(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(), nullable=True),
    )
    op.create_table(
        "host_slot",
        sa.Column("host", sa.String(), primary_key=True),
        sa.Column("next_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deferred_until", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "apscheduler_jobs",
        sa.Column("id", sa.Unicode(191), primary_key=True),
        sa.Column("next_run_time", sa.Float(25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_apscheduler_jobs_next_run_time", "apscheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index("ix_apscheduler_jobs_next_run_time", table_name="apscheduler_jobs")
    op.drop_table("apscheduler_jobs")
    op.drop_table("host_slot")
    op.drop_table("worker")
    op.drop_index("uq_task_live_kind_key", table_name="task")
    op.drop_index("ix_task_finished_at", table_name="task")
    op.drop_index("ix_task_state_run_after", table_name="task")
    op.drop_table("task")
