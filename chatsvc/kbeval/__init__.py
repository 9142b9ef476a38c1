"""Measuring the bot's KB matching on labelled data, with no database or server: ``chatsvc kb eval``.

The evaluation calls :func:`chatsvc.domain.matching.decide`, the function the bot calls, so what it measures is
what visitors get.
"""
