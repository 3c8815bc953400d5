"""teacher batches and triage priority

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 20:00:17.919685
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teacher_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_name', sqlmodel.sql.sqltypes.AutoString(length=63), nullable=False),
    sa.Column('job_arn', sqlmodel.sql.sqltypes.AutoString(length=1011), nullable=True),
    sa.Column('model', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('mode', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('schema_name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('input_uri', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
    sa.Column('output_uri', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('tasks', sa.Text(), nullable=False),
    sa.Column('collected', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('job_name')
    )
    with op.batch_alter_table('teacher_batch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teacher_batch_status'), ['status'], unique=False)

    with op.batch_alter_table('label', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('score', sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f('ix_label_priority'), ['priority'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('label', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_label_priority'))
        batch_op.drop_column('score')
        batch_op.drop_column('priority')

    with op.batch_alter_table('teacher_batch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teacher_batch_status'))

    op.drop_table('teacher_batch')
