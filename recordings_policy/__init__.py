"""The recordings policy: what may be stored, and for how long (see issue on consent)."""
