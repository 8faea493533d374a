"""topic runs: runs with their parameters, topics, and each segment's topic

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('topic_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('n_segments', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('topic_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_runs_project_id'), ['project_id'], unique=False)

    op.create_table('topic_assignments',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('segment_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['topic_runs.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'segment_id')
    )
    with op.batch_alter_table('topic_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_topic_assignments_segment_id'), ['segment_id'], unique=False)

    op.create_table('topics',
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('keywords', sa.JSON(), nullable=False),
    sa.Column('representative', sa.JSON(), nullable=False),
    sa.Column('label', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['topic_runs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('run_id', 'topic_id')
    )


def downgrade() -> None:
    op.drop_table('topics')
    with op.batch_alter_table('topic_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_assignments_segment_id'))
    op.drop_table('topic_assignments')
    with op.batch_alter_table('topic_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_topic_runs_project_id'))
    op.drop_table('topic_runs')
