"""Shared Alembic environment for every migration tree (see vextrus.kit.migrations)."""

from alembic import context

from vextrus.kit.migrations import run_env

run_env(context)
