"""fine-tuning jobs

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-21 21:01:08.411359
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('finetune_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=63), nullable=False),
    sa.Column('arn', sqlmodel.sql.sqltypes.AutoString(length=1011), nullable=True),
    sa.Column('base_model', sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False),
    sa.Column('export_id', sa.Integer(), nullable=True),
    sa.Column('hyperparameters', sa.Text(), nullable=False),
    sa.Column('request', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('timeline', sa.Text(), nullable=False),
    sa.Column('output_uri', sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=True),
    sa.Column('custom_model_arn', sqlmodel.sql.sqltypes.AutoString(length=1011), nullable=True),
    sa.Column('deployment_arn', sqlmodel.sql.sqltypes.AutoString(length=1011), nullable=True),
    sa.Column('failure_message', sa.Text(), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['export_id'], ['export.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    with op.batch_alter_table('finetune_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_finetune_job_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('finetune_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_finetune_job_status'))

    op.drop_table('finetune_job')
