"""Work run off a request's thread leaves no database connection behind.

Django closes (or keeps, up to CONN_MAX_AGE) the connection of a thread that serves requests;
a pool's worker thread or an executor thread that an async view hops to serves none, so a
connection it opened stays open for as long as the thread lives: one PostgreSQL session per
idle thread. Every such piece of work is wrapped in `closing_connections`, which closes the
thread's connections when the work is done (a thread that touched no database closes nothing).

Imports nothing of the project's own: any layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import connections

P = ParamSpec("P")
T = TypeVar("T")


def closing_connections(work: Callable[P, T]) -> Callable[P, T]:
    """`work`, closing this thread's database connections when it returns or raises. A
    connection inside a transaction (a caller's `atomic` block on this thread) is left open:
    closing it would break that transaction."""

    @wraps(work)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return work(*args, **kwargs)
        finally:
            for connection in connections.all(initialized_only=True):
                if not connection.in_atomic_block:
                    connection.close()

    return run
