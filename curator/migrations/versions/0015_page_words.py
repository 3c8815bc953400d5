"""page words: every page's lines with their boxes, stored in the blob store

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 14:00:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.add_column(sa.Column('words_blob', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('page', schema=None) as batch_op:
        batch_op.drop_column('words_blob')
