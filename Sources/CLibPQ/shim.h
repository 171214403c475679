// All libpq interop for Strain. libpq's functions import into Swift as they are; only its
// character-literal macros do not, so they are restated here as importable constants. The
// PostgreSQL engine's socket wait is here too.
#ifndef STRAIN_CLIBPQ_SHIM_H
#define STRAIN_CLIBPQ_SHIM_H

#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <time.h>

// glibc declares ppoll only under _GNU_SOURCE, which Swift's Glibc module is built without.
extern int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const sigset_t *sigmask);

// poll(2) with a timeout in microseconds (negative: no limit): poll itself counts whole
// milliseconds, which would make a worker wake up to a millisecond late, or sleep blind.
static inline int strain_poll_microseconds(struct pollfd *fds, nfds_t count, long long microseconds) {
    if (microseconds < 0) return ppoll(fds, count, NULL, NULL);
    struct timespec timeout = { .tv_sec = microseconds / 1000000, .tv_nsec = (microseconds % 1000000) * 1000 };
    return ppoll(fds, count, &timeout, NULL);
}

// Field codes for PQresultErrorField (postgres_ext.h defines them as 'S', 'C', ...).
static const int strain_pg_diag_severity = PG_DIAG_SEVERITY;
static const int strain_pg_diag_severity_nonlocalized = PG_DIAG_SEVERITY_NONLOCALIZED;
static const int strain_pg_diag_sqlstate = PG_DIAG_SQLSTATE;
static const int strain_pg_diag_message_primary = PG_DIAG_MESSAGE_PRIMARY;
static const int strain_pg_diag_message_detail = PG_DIAG_MESSAGE_DETAIL;
static const int strain_pg_diag_message_hint = PG_DIAG_MESSAGE_HINT;
static const int strain_pg_diag_statement_position = PG_DIAG_STATEMENT_POSITION;
static const int strain_pg_diag_internal_position = PG_DIAG_INTERNAL_POSITION;
static const int strain_pg_diag_internal_query = PG_DIAG_INTERNAL_QUERY;
static const int strain_pg_diag_context = PG_DIAG_CONTEXT;
static const int strain_pg_diag_schema_name = PG_DIAG_SCHEMA_NAME;
static const int strain_pg_diag_table_name = PG_DIAG_TABLE_NAME;
static const int strain_pg_diag_column_name = PG_DIAG_COLUMN_NAME;
static const int strain_pg_diag_datatype_name = PG_DIAG_DATATYPE_NAME;
static const int strain_pg_diag_constraint_name = PG_DIAG_CONSTRAINT_NAME;
static const int strain_pg_diag_source_file = PG_DIAG_SOURCE_FILE;
static const int strain_pg_diag_source_line = PG_DIAG_SOURCE_LINE;
static const int strain_pg_diag_source_function = PG_DIAG_SOURCE_FUNCTION;

#endif
