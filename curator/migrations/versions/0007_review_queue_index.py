"""review queue index

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21 20:39:44.697864
"""

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('label', schema=None) as batch_op:
        batch_op.create_index('ix_label_review_queue', ['status', 'priority', 'score', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('label', schema=None) as batch_op:
        batch_op.drop_index('ix_label_review_queue')

