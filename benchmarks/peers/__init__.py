"""Peer solvers for the quality benchmark; each returns a routecast Solution of stop ids.

Every peer is an optional dependency (``pip install -e '.[bench]'``): ``available()``
says whether it can run here. Plans are judged by routecast's evaluator, never by the
peer's own cost.
"""
