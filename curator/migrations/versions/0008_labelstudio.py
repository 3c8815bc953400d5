"""label studio tasks

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21 20:42:31.924963
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('labelstudio_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('server', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('document_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('label_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('prediction_id', sa.Integer(), nullable=True),
    sa.Column('pushed_version', sa.Integer(), nullable=False),
    sa.Column('annotation_id', sa.Integer(), nullable=True),
    sa.Column('annotation_updated_at', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('pushed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_sha256'], ['document.sha256'], ),
    sa.ForeignKeyConstraint(['label_id'], ['label.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('server', 'project_id', 'document_sha256', name='uq_ls_task_document'),
    sa.UniqueConstraint('server', 'task_id', name='uq_ls_task_id')
    )
    with op.batch_alter_table('labelstudio_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_labelstudio_task_label_id'), ['label_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_labelstudio_task_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('labelstudio_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_labelstudio_task_project_id'))
        batch_op.drop_index(batch_op.f('ix_labelstudio_task_label_id'))

    op.drop_table('labelstudio_task')
