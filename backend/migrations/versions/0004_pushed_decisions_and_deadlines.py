"""pushed application steps, applications' conversations, no stored notice deadline

- `notice_deliveries` becomes `push_deliveries`: a row is a pickup notice (`notice_id`) or an
  application step (`application_step_id`) pushed to one subscription, exactly one of the two,
  each unique with the subscription. Existing rows are copied.
- `applications.conversation_id`: the conversation that made the application hears of it.
- An organisation's delivered application no longer holds its batch group.
- `pickup_notices.deadline*` dropped: the last day is computed (10 working days after the
  notice, or 30 after the blanks arrived for 全国统考) by one function.

Columns are dropped with SQLite's own ALTER TABLE ... DROP COLUMN, not a batch copy: copying
a table that others reference with ON DELETE CASCADE while foreign keys are on would empty
the referencing rows.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

DELIVERY_COLUMNS = "subscription_id, state, attempts, next_attempt_at, claimed_at, sent_at, last_error"
ORG_INDEX = "uq_live_organization_application_per_batch"


def _org_index(states: str) -> None:
    where = sa.text(f"state NOT IN ({states}) AND kind = 'organization'")
    op.create_index(ORG_INDEX, 'applications', ['batch_id'], unique=True,
                    sqlite_where=where, postgresql_where=where)


def upgrade() -> None:
    op.create_table(
        'push_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=True),
        sa.Column('application_step_id', sa.Integer(), nullable=True),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.CheckConstraint('(notice_id IS NULL) <> (application_step_id IS NULL)',
                           name='ck_push_deliveries_one_event'),
        sa.ForeignKeyConstraint(['application_step_id'], ['application_steps.id'], ),
        sa.ForeignKeyConstraint(['notice_id'], ['pickup_notices.id'], ),
        sa.ForeignKeyConstraint(['subscription_id'], ['notice_subscriptions.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('application_step_id', 'subscription_id', name='uq_push_deliveries_step'),
        sa.UniqueConstraint('notice_id', 'subscription_id', name='uq_push_deliveries_notice'),
    )
    op.create_index('ix_push_deliveries_due', 'push_deliveries', ['state', 'next_attempt_at'], unique=False)
    op.execute(f"INSERT INTO push_deliveries (notice_id, {DELIVERY_COLUMNS}) "
               f"SELECT notice_id, {DELIVERY_COLUMNS} FROM notice_deliveries ORDER BY id")
    op.drop_index('ix_notice_deliveries_due', table_name='notice_deliveries')
    op.drop_table('notice_deliveries')

    op.add_column('applications', sa.Column('conversation_id', sa.String(length=128), nullable=True))
    op.drop_index(ORG_INDEX, table_name='applications')
    _org_index("'rejected', 'returned', 'delivered'")

    op.drop_column('pickup_notices', 'deadline_estimated')
    op.drop_column('pickup_notices', 'deadline')


def downgrade() -> None:
    from app.rules.working_days import PICKUP_WINDOW_WORKING_DAYS, WorkCalendar

    op.add_column('pickup_notices', sa.Column('deadline', sa.Date(), nullable=True))
    op.add_column('pickup_notices', sa.Column('deadline_estimated', sa.Boolean(), nullable=True))
    notices = sa.table('pickup_notices', sa.column('id', sa.Integer()), sa.column('published_on', sa.Date()),
                       sa.column('deadline', sa.Date()), sa.column('deadline_estimated', sa.Boolean()))
    conn = op.get_bind()
    calendar = WorkCalendar()  # the library's calendar: staff overrides are not consulted here
    for notice_id, published_on in conn.execute(sa.select(notices.c.id, notices.c.published_on)).all():
        due = calendar.add_working_days(published_on, PICKUP_WINDOW_WORKING_DAYS)
        conn.execute(notices.update().where(notices.c.id == notice_id)
                     .values(deadline=due.due, deadline_estimated=due.estimated))
    if conn.dialect.name != 'sqlite':  # SQLite cannot alter nullability without a copy
        op.alter_column('pickup_notices', 'deadline', existing_type=sa.Date(), nullable=False)
        op.alter_column('pickup_notices', 'deadline_estimated', existing_type=sa.Boolean(), nullable=False)

    op.drop_index(ORG_INDEX, table_name='applications')
    _org_index("'rejected', 'returned'")
    op.drop_column('applications', 'conversation_id')

    op.create_table(
        'notice_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['notice_id'], ['pickup_notices.id'], ),
        sa.ForeignKeyConstraint(['subscription_id'], ['notice_subscriptions.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('notice_id', 'subscription_id'),
    )
    op.create_index('ix_notice_deliveries_due', 'notice_deliveries', ['state', 'next_attempt_at'], unique=False)
    # Pushed application steps have no place in the old table and are dropped.
    op.execute(f"INSERT INTO notice_deliveries (notice_id, {DELIVERY_COLUMNS}) "
               f"SELECT notice_id, {DELIVERY_COLUMNS} FROM push_deliveries WHERE notice_id IS NOT NULL ORDER BY id")
    op.drop_index('ix_push_deliveries_due', table_name='push_deliveries')
    op.drop_table('push_deliveries')
