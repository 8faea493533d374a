"""team server accounts: members (lead | coder) and the server's signing key

A project with no member stays a single-user install; the first member turns on
logins for every page. The login-token signing key lives in the database so that
every app process behind one database accepts the same tokens.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'members',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('role', sa.String(length=20), nullable=False),
        sa.Column('password_hash', sa.String(length=300), nullable=True),
        sa.Column('oidc_subject', sa.String(length=300), nullable=True),
        sa.Column('token_version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('project_id', 'name', name='uq_member_name'),
        sa.UniqueConstraint('project_id', 'oidc_subject', name='uq_member_subject'),
    )
    op.create_index('ix_members_project_id', 'members', ['project_id'])
    op.create_table(
        'server_keys',
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('name'),
    )


def downgrade() -> None:
    op.drop_table('server_keys')
    op.drop_index('ix_members_project_id', table_name='members')
    op.drop_table('members')
