"""target schemas: users register their own JSON Schemas, versioned

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 11:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('target_schema',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name', 'version', name='uq_target_schema_version')
    )
    op.create_index(op.f('ix_target_schema_name'), 'target_schema', ['name'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_target_schema_name'), table_name='target_schema')
    op.drop_table('target_schema')
