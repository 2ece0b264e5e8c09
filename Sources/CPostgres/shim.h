#include <libpq-fe.h>
#include <poll.h>

/// Waits until the connection's socket is readable or `milliseconds` pass; 1 readable, 0 timed out, -1 error.
static inline int cpostgres_wait_readable(PGconn *connection, int milliseconds) {
    struct pollfd descriptor = { .fd = PQsocket(connection), .events = POLLIN, .revents = 0 };
    if (descriptor.fd < 0) return -1;
    return poll(&descriptor, 1, milliseconds);
}
