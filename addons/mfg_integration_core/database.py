"""What a lost database connection looks like, wherever it surfaces.

A transport answers it with "try again later" (REST: a 503 problem document;
the broker's consumer keeps the message) instead of recording an outcome that
nothing can store.
"""

import psycopg2
import psycopg2.errors

# what a lost or refused connection raises: libpq's own errors carry no SQLSTATE
# (plain OperationalError); the server's are connection exceptions (08) and
# shutdowns or terminations (57P01-57P05)
CONNECTION_LOST_SQLSTATES = "08000 08001 08003 08004 08006 57P01 57P02 57P03 57P04 57P05"
CONNECTION_LOST = (psycopg2.InterfaceError,) + tuple(
    psycopg2.errors.lookup(sqlstate) for sqlstate in CONNECTION_LOST_SQLSTATES.split()
)


def connection_failure(error):
    """The psycopg2 error in ``error``'s chain that says the database
    connection is lost or refused, or None."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if type(error) is psycopg2.OperationalError or isinstance(error, CONNECTION_LOST):
            return error
        error = error.__cause__ or error.__context__
    return None
