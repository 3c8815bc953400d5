"""split assignments and exports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 18:57:14.855502
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('export',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('task', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('location', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('manifest', sa.Text(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('export', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_export_fingerprint'), ['fingerprint'], unique=False)

    op.create_table('split_assignment',
    sa.Column('document_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('split', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('group_key', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('strategy', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_sha256'], ['document.sha256'], ),
    sa.PrimaryKeyConstraint('document_sha256')
    )
    with op.batch_alter_table('split_assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_split_assignment_split'), ['split'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('split_assignment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_split_assignment_split'))

    op.drop_table('split_assignment')
    with op.batch_alter_table('export', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_export_fingerprint'))

    op.drop_table('export')
