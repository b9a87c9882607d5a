// SPDX-License-Identifier: GPL-2.0
/* The /metrics HTTP server: routing, limits, timeouts, over real sockets. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "view/http_server.h"
#include "tap.h"

static void test_route(void)
{
	int head;

#define ROUTE(s) http_route(s, strlen(s), &head)
	TEST_ASSERT_EQ(ROUTE("GET /metrics HTTP/1.1\r\nHost: x"), 200);
	TEST_ASSERT_EQ(head, 0);
	TEST_ASSERT_EQ(ROUTE("HEAD /metrics HTTP/1.0"), 200);
	TEST_ASSERT_EQ(head, 1);
	TEST_ASSERT_EQ(ROUTE("GET /metrics?name[]=x HTTP/1.1"), 200);
	TEST_ASSERT_EQ(ROUTE("GET /metricsx HTTP/1.1"), 404);
	TEST_ASSERT_EQ(ROUTE("GET / HTTP/1.1"), 404);
	TEST_ASSERT_EQ(ROUTE("GET /metrics/ HTTP/1.1"), 404);
	TEST_ASSERT_EQ(ROUTE("POST /metrics HTTP/1.1"), 405);
	TEST_ASSERT_EQ(ROUTE("DELETE / HTTP/1.1"), 405);
	TEST_ASSERT_EQ(ROUTE("GET /metrics HTTP/2.0"), 505);
	TEST_ASSERT_EQ(ROUTE("GET /metrics HTTP/1.2"), 505);
	TEST_ASSERT_EQ(ROUTE("GET /metrics"), 400);
	TEST_ASSERT_EQ(ROUTE("GET  /metrics HTTP/1.1"), 400);
	TEST_ASSERT_EQ(ROUTE("G(T /metrics HTTP/1.1"), 400);
	TEST_ASSERT_EQ(ROUTE(""), 400);
	TEST_ASSERT_EQ(ROUTE("GET /metrics HTTP/1.1x"), 400);
#undef ROUTE
}

static void test_listen_addresses(void)
{
	unsigned int port;
	int fd;

	TEST_ASSERT_EQ(http_listen("127.0.0.1:0", &fd, &port), 0);
	TEST_ASSERT(port > 0, "port");
	close(fd);
	TEST_ASSERT_EQ(http_listen("localhost:80", &fd, NULL), -EINVAL);
	TEST_ASSERT_EQ(http_listen("127.0.0.1", &fd, NULL), -EINVAL);
	TEST_ASSERT_EQ(http_listen("127.0.0.1:65536", &fd, NULL), -EINVAL);
	TEST_ASSERT_EQ(http_listen("127.0.0.1:-1", &fd, NULL), -EINVAL);
	TEST_ASSERT_EQ(http_listen("::1:80", &fd, NULL), -EINVAL);
	TEST_ASSERT_EQ(http_listen("[::1]", &fd, NULL), -EINVAL);
	/* IPv6 loopback may be disabled; a well-formed address parses. */
	if (http_listen("[::1]:0", &fd, &port) == 0)
		close(fd);
}

static int body(void *arg, char **out, size_t *len)
{
	(void)arg;
	*out = strdup("metric 1\n");
	*len = 9;
	return *out ? 0 : -ENOMEM;
}

static pid_t server;
static unsigned int port;

/* A child that serves until killed, with a 300 ms deadline per client. */
static void start_server(void)
{
	int fd, status;

	TEST_ASSERT_EQ(http_listen("127.0.0.1:0", &fd, &port), 0);
	server = fork();
	TEST_ASSERT(server >= 0, "fork");
	if (server == 0) {
		/* A failed assertion ends the test: never outlive it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, -1) == 1)
				http_serve_one(fd, 300, "text/plain; version=0.0.4", body,
					       NULL, &status);
		}
	}
	close(fd);
}

static void stop_server(void)
{
	kill(server, SIGKILL);
	waitpid(server, NULL, 0);
}

/* Send @req (maybe NULL: nothing), read the whole answer into @buf. */
static size_t exchange(const char *req, size_t req_len, char *buf, size_t size)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	size_t used = 0;
	ssize_t n;
	int s;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s = socket(AF_INET, SOCK_STREAM, 0);
	TEST_ASSERT_SYSCALL(connect(s, (struct sockaddr *)&a, sizeof(a)), "connect");
	if (req)
		send(s, req, req_len, MSG_NOSIGNAL);
	while (used < size - 1 && (n = recv(s, buf + used, size - 1 - used, 0)) > 0)
		used += (size_t)n;
	buf[used] = 0;
	close(s);
	return used;
}

static void test_exchanges(void)
{
	static char big[HTTP_MAX_REQUEST + 100];
	char buf[4096];

	start_server();
#define REQ(s) exchange(s, strlen(s), buf, sizeof(buf))
	REQ("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17), "200: %s", buf);
	TEST_ASSERT(strstr(buf, "Content-Type: text/plain; version=0.0.4\r\n"), "type");
	TEST_ASSERT(strstr(buf, "Content-Length: 9\r\n"), "length");
	TEST_ASSERT(strstr(buf, "Connection: close\r\n\r\nmetric 1\n"), "body");
	REQ("HEAD /metrics HTTP/1.1\r\n\r\n");
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 200", 12) && !strstr(buf, "metric 1"), "HEAD");
	REQ("GET /metrics HTTP/1.0\n\n");
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 200", 12), "bare LF: %s", buf);
	REQ("GET /admin HTTP/1.1\r\n\r\n");
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 404", 12), "404: %s", buf);
	REQ("POST /metrics HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello");
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 405", 12) && strstr(buf, "Allow: GET, HEAD"),
		    "405: %s", buf);
	exchange("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15, buf,
		 sizeof(buf));
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 400", 12), "TLS hello: %s", buf);
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	exchange(big, sizeof(big), buf, sizeof(buf));
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 431", 12), "431: %s", buf);
	/* Silent and half-sent clients are cut at the deadline with 408 ... */
	exchange(NULL, 0, buf, sizeof(buf));
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 408", 12), "silent: %s", buf);
	REQ("GET /metr");
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 408", 12), "partial: %s", buf);
	/* ... and the server goes on serving. */
	REQ("GET /metrics HTTP/1.1\r\n\r\n");
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 200", 12), "after: %s", buf);
#undef REQ
	stop_server();
}

static const struct tap_test tests[] = {
	TAP_TEST(route),
	TAP_TEST(listen_addresses),
	TAP_TEST(exchanges),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
