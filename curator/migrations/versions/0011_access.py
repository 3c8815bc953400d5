"""access: failed log-ins for rate limiting, and the local admin the CLI acts as

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 10:20:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_login_failure_user_name'), 'login_failure', ['user_name'], unique=False)
    op.create_index(op.f('ix_login_failure_address'), 'login_failure', ['address'], unique=False)
    # Workspaces made before roles held for the CLI get the local admin `curator init` now makes
    # (no password: it cannot log in to the UI until an admin sets one).
    users = sa.table('app_user', sa.column('name', sa.String), sa.column('role', sa.String),
                     sa.column('password_hash', sa.String), sa.column('active', sa.Boolean),
                     sa.column('created_at', sa.DateTime(timezone=True)))
    bind = op.get_bind()
    if bind.execute(sa.select(users.c.name).where(users.c.name == 'admin')).first() is None:
        from datetime import datetime, timezone
        bind.execute(users.insert().values(name='admin', role='admin', password_hash='', active=True,
                                           created_at=datetime.now(timezone.utc)))


def downgrade() -> None:
    op.drop_index(op.f('ix_login_failure_address'), table_name='login_failure')
    op.drop_index(op.f('ix_login_failure_user_name'), table_name='login_failure')
    op.drop_table('login_failure')
