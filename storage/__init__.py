"""Durable storage: SQLAlchemy 2 async models, the engine and Alembic migrations.

The domain packages never import this; the edges (``web``, ``signaling``) and the
repositories here translate between rows and domain objects.
"""
