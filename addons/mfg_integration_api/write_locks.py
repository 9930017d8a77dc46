"""Writers of the same records wait for each other instead of failing.

Odoo runs a request in a REPEATABLE READ transaction whose snapshot is taken by
its first statement. Two requests that change the same rows (orders of one
product reserve the same component quants) then fail each other with
serialization errors until Odoo's retries run out. A lock taken in the middle
of a transaction does not help by itself: the later writer waits for it, but
wakes up with its old snapshot and fails all the same.

Nor does a lock taken by the first statement: the snapshot is taken as that
statement starts, before it waits.

So a write names what it is about to change (``wait_for_writers``). Inside an
API request (``serialized_attempts``) those names are remembered, and a retry
first gets hold of all of them in a transaction that has not waited for them:
when one is busy, it waits for the holder's commit outside of any work and
starts a new transaction. Its snapshot then sees the earlier writer's change,
and a request meets such a conflict once instead of up to every retry.
"""

import contextvars
import zlib

from odoo.service.model import retrying

# the locks the current API request's attempts asked for (None outside one)
_attempt_locks = contextvars.ContextVar("mfg_attempt_locks", default=None)


def _lock_class(kind):
    """A stable int4 namespace per kind of record."""
    return zlib.crc32(kind.encode()) - 2**31


def _take(cr, keys):
    for key in sorted(keys):
        cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", key)


def _take_before_snapshot(cr, keys):
    """Hold every key in a transaction whose snapshot follows their holders' commits."""
    keys = sorted(keys)
    while True:
        busy = None
        for key in keys:
            cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", key)
            if not cr.fetchone()[0]:
                busy = key
                break
        if busy is None:
            return
        # wait for the holder holding nothing ourselves (no deadlock), then start
        # afresh: neither this transaction's snapshot nor its locks are of use
        cr.rollback()
        cr.execute("SELECT pg_advisory_xact_lock(%s, %s)", busy)
        cr.rollback()


def wait_for_writers(cr, kind, ids):
    """Wait until no other transaction writes these records; hold them until
    this transaction ends.

    :param kind: what the ids are, e.g. "stock.quant.product" (a namespace)
    """
    lock_class = _lock_class(kind)
    keys = {(lock_class, id_) for id_ in ids if id_}
    remembered = _attempt_locks.get()
    if remembered is not None:
        remembered.update(keys)
    _take(cr, keys)


def serialized_attempts(func, cr):
    """Wrap ``func`` for ``odoo.service.model.retrying``: each attempt after a
    failed one first takes the locks that the earlier attempts asked for."""
    locks = set()

    def attempt():
        if locks:  # nothing has run in this attempt's transaction yet
            _take_before_snapshot(cr, locks)
        token = _attempt_locks.set(locks)
        try:
            return func()
        finally:
            _attempt_locks.reset(token)

    return attempt


def run_serialized(func, env):
    """Run ``func`` in ``env``'s transaction and commit it, retried on
    serialization failures as Odoo retries a request, each retry first waiting
    for the writers that the failed attempts met (every inbound transport runs
    a command this way)."""
    return retrying(serialized_attempts(func, env.cr), env)
