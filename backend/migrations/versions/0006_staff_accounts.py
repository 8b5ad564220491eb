"""staff accounts, their sessions and sign-in failures; offices know the office above them

Accounts replace the one shared token for people (the token stays for machine clients).
`offices.parent_code` is filled from the GB/T 2260 codes already loaded: a county's city
(its first four digits) when that office exists, else its province; a city's province.

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE, not a batch copy (see 0004: a copy of a referenced table on SQLite).
    op.add_column('offices', sa.Column('parent_code', sa.String(length=12), nullable=True))
    op.create_index('ix_offices_parent_code', 'offices', ['parent_code'], unique=False)
    offices = sa.table('offices', sa.column('code', sa.String), sa.column('level', sa.String),
                       sa.column('parent_code', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(offices.c.code, offices.c.level)).all()
    codes = {code for code, _ in rows}
    for code, level in rows:
        parent = _parent(code, level, codes)
        if parent:
            conn.execute(offices.update().where(offices.c.code == code).values(parent_code=parent))

    op.create_table(
        'staff_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=10), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('username'),
    )
    op.create_table(
        'staff_sign_in_attempts',
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('first_failure_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('username'),
    )
    op.create_table(
        'staff_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('account_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['account_id'], ['staff_accounts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_staff_sessions_account_id', 'staff_sessions', ['account_id'], unique=False)


def _parent(code: str, level: str, codes: set[str]) -> str | None:
    if len(code) != 6 or not code.isdigit() or level == '省':
        return None
    province = code[:2] + '0000'
    if level == '县' and code[:4] + '00' in codes and code[:4] + '00' != code:
        return code[:4] + '00'
    return province if province in codes and province != code else None


def downgrade() -> None:
    op.drop_index('ix_staff_sessions_account_id', table_name='staff_sessions')
    op.drop_table('staff_sessions')
    op.drop_table('staff_sign_in_attempts')
    op.drop_table('staff_accounts')
    op.drop_index('ix_offices_parent_code', table_name='offices')
    op.drop_column('offices', 'parent_code')
