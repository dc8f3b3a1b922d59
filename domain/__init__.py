"""What every domain package shares: the root of their errors (``domain.errors``).

Plain Python, below ``rooms``, ``consent``, ``recordings_policy``, ``booking`` and
``feedback`` in the import layers; it imports none of them.
"""
