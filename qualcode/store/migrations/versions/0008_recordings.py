"""recordings: draft documents with their recording, per-turn confidence and uncertain words

A transcribed recording is a `draft` document until a person confirms it; every document stored
before this revision is `confirmed`.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('documents', sa.Column('status', sa.String(length=20), server_default='confirmed', nullable=False))
    op.add_column('documents', sa.Column('recording_path', sa.String(length=1000), nullable=True))
    op.add_column('documents', sa.Column('recording_sha256', sa.String(length=64), nullable=True))
    op.add_column('documents', sa.Column('duration', sa.Float(), nullable=True))
    op.add_column('turns', sa.Column('confidence', sa.Float(), nullable=True))
    op.add_column('turns', sa.Column('words', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('turns') as batch:
        batch.drop_column('words')
        batch.drop_column('confidence')
    with op.batch_alter_table('documents') as batch:
        batch.drop_column('duration')
        batch.drop_column('recording_sha256')
        batch.drop_column('recording_path')
        batch.drop_column('status')
