"""The application layer: one module per use-case group.

Each use case owns its transaction(s), calls the domain packages (``rooms``, ``consent``,
``recordings_policy``, ``booking``, ``feedback``) and the stores (``storage``), and tells
the edges what happened through :class:`application.notifier.Notifier`. The edges
(``web/`` views, ``signaling/`` handlers, the command lines) only parse, call and map
errors. Errors raised here are domain errors; each carries its wire ``code``.
"""
