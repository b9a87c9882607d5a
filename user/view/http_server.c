// SPDX-License-Identifier: GPL-2.0
/* A minimal HTTP/1.1 server for GET /metrics (view/http_server.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "util/clock.h"
#include "view/http_server.h"

int http_listen(const char *addr, int *fd, unsigned int *port)
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
	if (bind(s, (struct sockaddr *)&ss, sslen) || listen(s, 16)) {
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

/* A token character of RFC 9110 (method names). */
static bool tchar(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

int http_route(const char *head, size_t len, int *head_only)
{
	const char *end = head + len, *p = head, *method, *target, *version;
	size_t mlen, tlen, plen;

	*head_only = 0;
	for (method = p; p < end && tchar(*p); p++)
		;
	mlen = (size_t)(p - method);
	if (!mlen || p == end || *p++ != ' ')
		return 400;
	for (target = p; p < end && *p > ' ' && *p < 0x7f; p++)
		;
	tlen = (size_t)(p - target);
	if (!tlen || p == end || *p++ != ' ')
		return 400;
	version = p;
	while (p < end && *p != '\r' && *p != '\n')
		p++;
	if ((size_t)(p - version) != 8 || strncmp(version, "HTTP/1.", 7))
		return (size_t)(p - version) == 8 && !strncmp(version, "HTTP/", 5) ? 505 : 400;
	if (version[7] != '0' && version[7] != '1')
		return 505;
	if (!(mlen == 3 && !strncmp(method, "GET", 3)) &&
	    !(mlen == 4 && !strncmp(method, "HEAD", 4)))
		return 405;
	*head_only = mlen == 4;
	plen = strcspn(target, "? ");
	if (plen > tlen)
		plen = tlen;
	if (plen == 8 && !strncmp(target, "/metrics", 8))
		return 200;
	return 404;
}

/* Wait for @events on @fd until @deadline: 1 ready, 0 timed out, -errno. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - vmt_mono_ms();
		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 ? -errno : n;
	}
}

/* Write all of @buf before @deadline: 0 or -errno (-ETIMEDOUT). */
static int write_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	ssize_t n;
	int w;

	while (len) {
		n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -errno;
		w = wait_fd(fd, POLLOUT, deadline);
		if (w <= 0)
			return w ? w : -ETIMEDOUT;
	}
	return 0;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}

static int answer(int fd, int status, const char *content_type, const char *body,
		  size_t len, int head_only, int64_t deadline)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "%sCache-Control: no-store\r\nConnection: close\r\n\r\n",
		     status, reason(status), content_type, len,
		     status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (n < 0 || (size_t)n >= sizeof(head))
		return -EOVERFLOW;
	if (write_all(fd, head, (size_t)n, deadline))
		return -EIO;
	if (!head_only && len && write_all(fd, body, len, deadline))
		return -EIO;
	return 0;
}

/* Read the request head: its length (up to the blank line), 0 if the
 * client closed or timed out first (*status 408 then), -E2BIG if it does
 * not fit. */
static ssize_t read_head(int fd, char *buf, size_t size, int64_t deadline, int *status)
{
	size_t used = 0;
	ssize_t n;
	char *end;
	int w;

	for (;;) {
		if (used == size)
			return -E2BIG;
		n = recv(fd, buf + used, size - used, MSG_DONTWAIT);
		if (n > 0) {
			used += (size_t)n;
			buf[used] = 0;
			/* A bare \n line ending is accepted, as RFC 9112 allows. */
			if ((end = memmem(buf, used, "\r\n\r\n", 4)) ||
			    (end = memmem(buf, used, "\n\n", 2)))
				return end - buf;
			continue;
		}
		if (n == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return 0;
		w = wait_fd(fd, POLLIN, deadline);
		if (w <= 0) {
			*status = 408;
			return 0;
		}
	}
}

/*
 * Close after the answer without losing it: closing a socket with unread
 * input sends a reset, which can destroy the answer in the client's
 * receive queue (a 431 to a client still sending).  So: no more output,
 * then discard input, bounded in bytes and time, until the client closes.
 */
static void linger_close(int fd, int64_t deadline)
{
	int64_t linger_end = vmt_mono_ms() + 200;
	size_t discarded = 0;
	char sink[4096];
	ssize_t n;

	if (linger_end > deadline)
		linger_end = deadline;
	shutdown(fd, SHUT_WR);
	while (discarded < (64U << 10) && wait_fd(fd, POLLIN, linger_end) > 0) {
		n = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (n <= 0)
			break;
		discarded += (size_t)n;
	}
	close(fd);
}

int http_serve_one(int listen_fd, int timeout_ms, const char *content_type,
		   http_body_fn fn, void *arg, int *status)
{
	int64_t deadline = vmt_mono_ms() + timeout_ms;
	char req[HTTP_MAX_REQUEST + 1], *body = NULL;
	int fd, head_only = 0, st = 0;
	size_t len = 0;
	ssize_t n;

	*status = 0;
	fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return errno == EAGAIN || errno == ECONNABORTED || errno == EINTR ? 0 : -errno;
	n = read_head(fd, req, HTTP_MAX_REQUEST, deadline, &st);
	if (n == -E2BIG)
		st = 431;
	else if (n > 0)
		st = http_route(req, (size_t)n, &head_only);
	if (st == 200 && fn(arg, &body, &len)) {
		st = 500;
		free(body);
		body = NULL;
		len = 0;
	}
	if (st) {
		if (st != 200) {
			const char *msg = reason(st);

			answer(fd, st, "text/plain; charset=utf-8", msg, strlen(msg),
			       head_only, deadline);
		} else {
			answer(fd, st, content_type, body, len, head_only, deadline);
		}
	}
	*status = st;
	free(body);
	linger_close(fd, deadline);
	return 0;
}
