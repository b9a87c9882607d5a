// SPDX-License-Identifier: GPL-2.0
/* The HTTP server of view/http_server.h, on libmicrohttpd. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "view/http_server.h"

int view_http_listen(const char *addr, int *fd, unsigned int *port)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	char host[64];
	const char *colon, *port_s;
	socklen_t sslen;
	unsigned long p;
	char *end;
	int s, one = 1, err;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (!close || close[1] != ':' || (size_t)(close - addr - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, addr + 1, close - addr - 1);
		host[close - addr - 1] = 0;
		port_s = close + 2;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= sizeof(host) ||
		    memchr(addr, ':', colon - addr))
			return -EINVAL;
		memcpy(host, addr, colon - addr);
		host[colon - addr] = 0;
		port_s = colon + 1;
	}
	if (*port_s < '0' || *port_s > '9')
		return -EINVAL;
	p = strtoul(port_s, &end, 10);
	if (*end || p > 65535)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		sslen = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		sslen = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	s = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -errno;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&ss, sslen) || listen(s, 128)) {
		err = -errno;
		close(s);
		return err;
	}
	if (port) {
		sslen = sizeof(ss);
		if (getsockname(s, (struct sockaddr *)&ss, &sslen)) {
			err = -errno;
			close(s);
			return err;
		}
		*port = ntohs(ss.ss_family == AF_INET ? in4->sin_port : in6->sin6_port);
	}
	*fd = s;
	return 0;
}

struct view_http_server {
	struct MHD_Daemon *daemon;
	const char *content_type;
	char *user, *password;		/* basic auth; NULL: none */
	char *cert, *key;		/* PEM, for TLS */
	pthread_mutex_t lock;		/* body, counts */
	char *body;
	size_t len;
	unsigned long ok, other;
};

static void count(struct view_http_server *h, unsigned int status)
{
	pthread_mutex_lock(&h->lock);
	if (status == MHD_HTTP_OK)
		h->ok++;
	else
		h->other++;
	pthread_mutex_unlock(&h->lock);
}

/* Queue @r with @status; it is released here. */
static enum MHD_Result queue(struct view_http_server *h, struct MHD_Connection *c,
			     unsigned int status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = status == MHD_HTTP_UNAUTHORIZED ?
	      MHD_queue_basic_auth_fail_response(c, "vmtrace", r) :
	      MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	count(h, status);
	return ret;
}

static struct MHD_Response *text(const char *s)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), (void *)s,
								 MHD_RESPMEM_PERSISTENT);

	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	return r;
}

static bool authorized(struct view_http_server *h, struct MHD_Connection *c)
{
	char *pass = NULL, *user;
	bool ok;

	if (!h->user)
		return true;
	user = MHD_basic_auth_get_username_password(c, &pass);
	ok = user && pass && !strcmp(user, h->user) && !strcmp(pass, h->password);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **state)
{
	struct view_http_server *h = cls;
	struct MHD_Response *r;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)state;
	/* Answered at the first call, from the headers alone: a request body
	 * is never read (libmicrohttpd drops it and closes the connection). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return queue(h, c, MHD_HTTP_METHOD_NOT_ALLOWED,
			     text("method not allowed: GET or HEAD\n"));
	if (!authorized(h, c))
		return queue(h, c, MHD_HTTP_UNAUTHORIZED, text("authentication required\n"));
	if (strcmp(url, "/metrics"))
		return queue(h, c, MHD_HTTP_NOT_FOUND, text("not found: try /metrics\n"));
	pthread_mutex_lock(&h->lock);
	r = MHD_create_response_from_buffer(h->len, h->body, MHD_RESPMEM_MUST_COPY);
	pthread_mutex_unlock(&h->lock);
	if (r)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, h->content_type);
	return queue(h, c, MHD_HTTP_OK, r);
}

/* The whole of @path, NUL-terminated, in *out.  0 or -errno. */
static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	size_t len = 0;
	char *buf = NULL;
	int err = 0;

	if (!f)
		return -errno;
	if (getdelim(&buf, &len, '\0', f) < 0)
		err = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	if (err)
		free(buf);
	else
		*out = buf;
	return err;
}

/* libmicrohttpd's own complaints, for the caller's message. */
static void mhd_log(void *arg, const char *fmt, va_list ap)
{
	char *why = arg;

	if (!*why)
		vsnprintf(why, 200, fmt, ap);
}

int view_http_server_start(int listen_fd, const struct view_http_server_opts *o,
		      struct view_http_server **out, char *why, size_t why_len)
{
	unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	struct view_http_server *h = calloc(1, sizeof(*h));
	char mhd_why[200] = "";
	const char *colon;
	int err = -ENOMEM;

	*out = NULL;
	if (!h)
		goto err_close;
	pthread_mutex_init(&h->lock, NULL);
	h->content_type = o->content_type;
	h->body = strdup("");
	if (!h->body)
		goto err_free;
	if (o->basic_auth) {
		colon = strchr(o->basic_auth, ':');
		if (!colon) {
			err = -EINVAL;
			snprintf(why, why_len, "basic auth: USER:PASSWORD expected");
			goto err_free;
		}
		h->user = strndup(o->basic_auth, colon - o->basic_auth);
		h->password = strdup(colon + 1);
		if (!h->user || !h->password)
			goto err_free;
	}
	if (o->tls_cert || o->tls_key) {
		if (!o->tls_cert || !o->tls_key) {
			err = -EINVAL;
			snprintf(why, why_len, "TLS needs both a certificate and its key");
			goto err_free;
		}
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			err = -EOPNOTSUPP;
			snprintf(why, why_len, "this libmicrohttpd has no TLS");
			goto err_free;
		}
		err = read_file(o->tls_cert, &h->cert);
		if (err) {
			snprintf(why, why_len, "%s: %s", o->tls_cert, strerror(-err));
			goto err_free;
		}
		err = read_file(o->tls_key, &h->key);
		if (err) {
			snprintf(why, why_len, "%s: %s", o->tls_key, strerror(-err));
			goto err_free;
		}
		flags |= MHD_USE_TLS;
	}
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
				     MHD_OPTION_LISTEN_SOCKET, listen_fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)VIEW_HTTP_MAX_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)VIEW_HTTP_IDLE_TIMEOUT_S,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, mhd_why,
				     /* Without TLS the list ends here. */
				     h->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, h->cert,
				     MHD_OPTION_HTTPS_MEM_KEY, h->key,
				     MHD_OPTION_END);
	if (!h->daemon) {
		err = -EINVAL;
		snprintf(why, why_len, "the HTTP server did not start%s%s",
			 mhd_why[0] ? ": " : "", mhd_why);
		goto err_free;
	}
	*out = h;
	return 0;

err_free:
	free(h->cert);
	free(h->key);
	free(h->user);
	free(h->password);
	free(h->body);
	free(h);
err_close:
	close(listen_fd);
	if (err == -ENOMEM && !why[0])
		snprintf(why, why_len, "out of memory");
	return err;
}

int view_http_server_publish(struct view_http_server *h, const char *body, size_t len)
{
	char *copy = malloc(len + 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, body, len);
	copy[len] = '\0';
	pthread_mutex_lock(&h->lock);
	free(h->body);
	h->body = copy;
	h->len = len;
	pthread_mutex_unlock(&h->lock);
	return 0;
}

void view_http_server_counts(struct view_http_server *h, unsigned long *ok, unsigned long *other)
{
	pthread_mutex_lock(&h->lock);
	*ok = h->ok;
	*other = h->other;
	pthread_mutex_unlock(&h->lock);
}

void view_http_server_stop(struct view_http_server *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->daemon);	/* closes the listening socket too */
	free(h->cert);
	free(h->key);
	free(h->user);
	free(h->password);
	free(h->body);
	pthread_mutex_destroy(&h->lock);
	free(h);
}
