"""Anonymous feedback: the questionnaire, one-time tokens, statistics, suppression, exports.

Plain Python: no web framework, no database. The edges (``web/views/feedback.py``,
``web/views/evaluation.py``) and ``storage/feedback.py`` translate.
"""
