"""users and review leases

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 20:14:34.670232
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('review_lease',
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('user_name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ),
    sa.PrimaryKeyConstraint('label_id')
    )
    with op.batch_alter_table('review_lease', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_lease_user_name'), ['user_name'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('review_lease', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_lease_user_name'))

    op.drop_table('review_lease')
    op.drop_table('app_user')
