"""de-identification: detections (proposals and decisions), the pseudonym key, user term lists

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deid_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('canonical', sa.String(length=500), nullable=False),
    sa.Column('pseudonym', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'type', 'canonical', name='uq_deid_key')
    )
    with op.batch_alter_table('deid_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deid_keys_project_id'), ['project_id'], unique=False)

    op.create_table('deid_terms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('term', sa.String(length=300), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'term', name='uq_deid_term')
    )
    with op.batch_alter_table('deid_terms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deid_terms_project_id'), ['project_id'], unique=False)

    op.create_table('deid_detections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=True),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('type', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('replacement', sa.String(length=300), nullable=True),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participants.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('document_id', 'start', 'end', name='uq_detection_span')
    )
    with op.batch_alter_table('deid_detections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deid_detections_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deid_detections_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deid_detections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deid_detections_project_id'))
        batch_op.drop_index(batch_op.f('ix_deid_detections_document_id'))

    op.drop_table('deid_detections')
    with op.batch_alter_table('deid_terms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deid_terms_project_id'))

    op.drop_table('deid_terms')
    with op.batch_alter_table('deid_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deid_keys_project_id'))

    op.drop_table('deid_keys')
