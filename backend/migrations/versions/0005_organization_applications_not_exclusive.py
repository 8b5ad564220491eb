"""organisation applications no longer hold their batch group

A stranger could file an organisation's application for any published batch group and lock
the real organisation out (409). The partial unique index goes; a plain index on
`applications.batch_id` keeps finding a group's applications quick.

Idempotency keys are now stored hashed with the caller's identity (no schema change: rows
written before keep their raw keys, which no new request matches).

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

ORG_INDEX = "uq_live_organization_application_per_batch"


def upgrade() -> None:
    op.drop_index(ORG_INDEX, table_name='applications')
    op.create_index('ix_applications_batch_id', 'applications', ['batch_id'], unique=False)


def downgrade() -> None:
    # Fails when a group has several live organisation applications: settle them first.
    op.drop_index('ix_applications_batch_id', table_name='applications')
    where = sa.text("state NOT IN ('rejected', 'returned', 'delivered') AND kind = 'organization'")
    op.create_index(ORG_INDEX, 'applications', ['batch_id'], unique=True,
                    sqlite_where=where, postgresql_where=where)
