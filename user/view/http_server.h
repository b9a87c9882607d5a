/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal HTTP/1.1 server for one resource, GET /metrics, as Prometheus
 * scrapes it.  One connection at a time, each under a deadline for the
 * whole exchange (a client that sends slowly or not at all is dropped);
 * the request head is bounded (HTTP_MAX_REQUEST; larger: 431), the body
 * ignored and never read; every answer closes the connection.  Anything
 * but GET or HEAD is 405, any other path 404, a malformed request 400.
 */
#ifndef VMT_HTTP_SERVER_H
#define VMT_HTTP_SERVER_H

#include <stddef.h>

#define HTTP_MAX_REQUEST 8192
#define HTTP_DEFAULT_LISTEN "127.0.0.1:9464"
#define HTTP_DEFAULT_TIMEOUT_MS 5000

/*
 * Listen on "HOST:PORT" ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464";
 * HOST must be a numeric address; PORT 0 picks one).  0 and *fd, -EINVAL
 * (malformed address), or the socket error.  *port (if not NULL) is the
 * port bound.
 */
int http_listen(const char *addr, int *fd, unsigned int *port);

/* Parse a request head (up to and excluding the blank line).  Returns the
 * HTTP status to answer: 200 for GET/HEAD /metrics (query ignored), 400,
 * 404, 405, 505; *head_only for HEAD. */
int http_route(const char *head, size_t len, int *head_only);

/* Make the body of a 200 answer: 0 and a malloc'd *body of *len bytes, or
 * -errno (answered with 500). */
typedef int (*http_body_fn)(void *arg, char **body, size_t *len);

/*
 * Accept one connection on @listen_fd (which poll() said is readable),
 * read its request and answer it, all within @timeout_ms.  0 when a
 * request was answered (whatever the status) or the client gave up, or
 * -errno of accept().  The status answered goes to *status (0: none).
 */
int http_serve_one(int listen_fd, int timeout_ms, const char *content_type,
		   http_body_fn fn, void *arg, int *status);

#endif
