/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTTP server of `serve`: one resource, GET (or HEAD) /metrics, on
 * libmicrohttpd in a thread of its own, so that scrapes never hold up
 * sampling and draining, and a client that connects and sends nothing
 * holds up no other (one polling thread, epoll, up to
 * VIEW_HTTP_MAX_CONNECTIONS at once, idle ones dropped after
 * VIEW_HTTP_IDLE_TIMEOUT_S).  The body is whatever the caller last published;
 * each answer copies it.  Anything but GET or HEAD is 405, any other path
 * 404.  Optional: TLS from PEM files, HTTP basic authentication against
 * one user:password (then 401 without it).
 */
#ifndef VIEW_HTTP_SERVER_H
#define VIEW_HTTP_SERVER_H

#include <stddef.h>

#define VIEW_HTTP_DEFAULT_LISTEN "127.0.0.1:9464"
#define VIEW_HTTP_MAX_CONNECTIONS 256
#define VIEW_HTTP_IDLE_TIMEOUT_S 10

/*
 * Listen on "HOST:PORT" ("127.0.0.1:9464", "[::1]:9464", "0.0.0.0:9464";
 * HOST must be a numeric address; PORT 0 picks one).  0 and *fd, -EINVAL
 * (malformed address), or the socket error.  *port (if not NULL) is the
 * port bound.
 */
int view_http_listen(const char *addr, int *fd, unsigned int *port);

struct view_http_server_opts {
	const char *content_type;
	const char *tls_cert;		/* PEM file; with tls_key: HTTPS */
	const char *tls_key;
	const char *basic_auth;		/* "user:password"; NULL: none */
};

struct view_http_server;

/*
 * Serve on @listen_fd (view_http_listen(); the server owns it from now on).
 * 0, or -errno with what is wrong in @why (a TLS file unreadable, TLS
 * not built into libmicrohttpd, the daemon not starting).
 */
int view_http_server_start(int listen_fd, const struct view_http_server_opts *o,
		      struct view_http_server **out, char *why, size_t why_len);
/* Answer /metrics with @body (@len bytes, copied) from now on. */
int view_http_server_publish(struct view_http_server *h, const char *body, size_t len);
/* Requests answered so far, by status 200 and others. */
void view_http_server_counts(struct view_http_server *h, unsigned long *ok, unsigned long *other);
void view_http_server_stop(struct view_http_server *h);

#endif
