"""Writers of the same records take turns instead of failing and backing off.

Odoo runs a request in a REPEATABLE READ transaction whose snapshot is taken by
its first statement. Two requests that change the same rows (orders of one
product reserve and consume the same component quants) then fail each other
with serialization errors, and Odoo retries each failure after a random sleep
that doubles every time (up to 2, 4, 8, 16 s): the tail that a shop floor
feels. A lock taken in the middle of a transaction does not help by itself:
the later writer waits for it, but wakes up with its old snapshot and fails
all the same. Nor does a lock taken by the first statement: the snapshot is
taken as that statement starts, before it waits.

So a write names what it is about to change (``wait_for_writers``), as early
as it can. Inside an API request (``run_serialized``) a name that another
transaction holds ends the attempt at once (``WritersBusy``): nothing is
slept, the request waits for that writer's commit holding nothing, then starts
a new attempt that first takes every name its attempts met, in a fixed order,
in a transaction whose snapshot follows their holders' commits. A conflict
that the names did not foresee (a name first taken by a late attempt whose
snapshot predates a writer's commit) restarts the same way, at once; only a
conflict with a writer that named nothing falls back on Odoo's retries.
"""

import contextvars
import logging
import zlib

from psycopg2 import errorcodes, errors

from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY, retrying

_logger = logging.getLogger(__name__)

# attempts of one request that restart at once (each takes at least one more
# name before its snapshot, so a handful is all a request can need)
MAX_RESTARTS = 10


class WritersBusy(errors.SerializationFailure):
    """Another transaction writes the records this attempt is about to change.

    A serialization failure for every caller (savepoints, Odoo's own error
    handling and retries treat it as one); ``run_serialized`` ends the attempt
    and waits for that writer instead."""

    pgcode = errorcodes.SERIALIZATION_FAILURE

    def __init__(self, key):
        super().__init__(f"records {key} are being written by another transaction")
        self.key = key


class _Attempts:
    """The names the attempts of one request asked for, and those that the
    current attempt holds from before its snapshot."""

    def __init__(self):
        self.wanted = set()
        self.before_snapshot = set()
        self.held = set()


# the current API request's attempts (None outside one)
_attempts = contextvars.ContextVar("mfg_write_attempts", default=None)


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

    Inside ``run_serialized`` a record that another transaction holds raises
    ``WritersBusy`` rather than waiting with a snapshot that the holder's
    commit will make stale.

    :param kind: what the ids are, e.g. "stock.quant.product" (a namespace)
    """
    lock_class = _lock_class(kind)
    keys = {(lock_class, id_) for id_ in ids if id_}
    attempts = _attempts.get()
    if attempts is None:
        _take(cr, keys)
        return
    attempts.wanted.update(keys)
    for key in sorted(keys - attempts.held):
        cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", key)
        if not cr.fetchone()[0]:
            raise WritersBusy(key)
        attempts.held.add(key)


def _restart(env, error, attempts):
    """Whether a failed attempt starts again at once (the next one waits for
    the writers it met, before its snapshot) rather than after Odoo's sleep."""
    if isinstance(error, WritersBusy):
        return True
    # a name taken after the snapshot: its writer may have committed in between
    return bool(attempts.wanted - attempts.before_snapshot)


def serialized_attempts(func, env):
    """Wrap ``func`` for ``odoo.service.model.retrying``: each attempt first
    takes the locks that the earlier attempts asked for, and an attempt that
    meets a writer of those records starts again without sleeping."""
    attempts = _Attempts()
    cr = env.cr

    def attempt():
        restarts = 0
        while True:
            if attempts.wanted:  # nothing has run in this attempt's transaction yet
                _take_before_snapshot(cr, attempts.wanted)
            attempts.before_snapshot = set(attempts.wanted)
            attempts.held = set(attempts.wanted)
            token = _attempts.set(attempts)
            try:
                result = func()
                cr.flush()  # a conflict in the last writes is this attempt's too
                return result
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as error:
                if restarts >= MAX_RESTARTS or not _restart(env, error, attempts):
                    raise  # Odoo's retries (and their back-off) take over
                restarts += 1
                _logger.debug("%s: the attempt starts again after its writers", error)
                cr.rollback()
                env.reset()
                env.registry.reset_changes()
            finally:
                _attempts.reset(token)

    return attempt


def run_serialized(func, env):
    """Run ``func`` in ``env``'s transaction and commit it. Writers of the same
    records take turns (see the module's docstring); other serialization
    failures are retried as Odoo retries a request. Every inbound transport
    runs a command this way."""
    return retrying(serialized_attempts(func, env), env)
