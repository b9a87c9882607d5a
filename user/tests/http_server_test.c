// SPDX-License-Identifier: GPL-2.0
/*
 * serve's HTTP server (libmicrohttpd) over real sockets: addresses, routes
 * and statuses, the published body, 50 clients that connect and send
 * nothing while a scrape is answered at once, basic authentication, TLS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "view/http_server.h"
#include "tap.h"

static void test_listen_addresses(void)
{
	unsigned int port;
	int fd;

	TEST_ASSERT_EQ(view_http_listen("127.0.0.1:0", &fd, &port), 0);
	TEST_ASSERT(port > 0, "port");
	close(fd);
	TEST_ASSERT_EQ(view_http_listen("localhost:80", &fd, NULL), -EINVAL);
	TEST_ASSERT_EQ(view_http_listen("127.0.0.1", &fd, NULL), -EINVAL);
	TEST_ASSERT_EQ(view_http_listen("127.0.0.1:65536", &fd, NULL), -EINVAL);
	TEST_ASSERT_EQ(view_http_listen("127.0.0.1:-1", &fd, NULL), -EINVAL);
	TEST_ASSERT_EQ(view_http_listen("::1:80", &fd, NULL), -EINVAL);
	TEST_ASSERT_EQ(view_http_listen("[::1]", &fd, NULL), -EINVAL);
	/* IPv6 loopback may be disabled; a well-formed address parses. */
	if (view_http_listen("[::1]:0", &fd, &port) == 0)
		close(fd);
}

static unsigned int port;

static struct view_http_server *start(const struct view_http_server_opts *o)
{
	struct view_http_server_opts plain = { .content_type = "text/plain; version=0.0.4" };
	struct view_http_server *h;
	char why[256] = "";
	int fd;

	TEST_ASSERT_EQ(view_http_listen("127.0.0.1:0", &fd, &port), 0);
	TEST_ASSERT(!view_http_server_start(fd, o ? o : &plain, &h, why, sizeof(why)), "start: %s",
		    why);
	return h;
}

static int connect_local(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	TEST_ASSERT_SYSCALL(connect(s, (struct sockaddr *)&a, sizeof(a)), "connect");
	return s;
}

/* Send @req, read the whole answer (the server closes: Connection: close). */
static size_t exchange(const char *req, char *buf, size_t size)
{
	size_t used = 0;
	ssize_t n;
	int s = connect_local();

	TEST_ASSERT(send(s, req, strlen(req), MSG_NOSIGNAL) == (ssize_t)strlen(req), "send");
	while (used < size - 1 && (n = recv(s, buf + used, size - 1 - used, 0)) > 0)
		used += (size_t)n;
	buf[used] = 0;
	close(s);
	return used;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_routes(void)
{
	struct view_http_server *h = start(NULL);
	unsigned long ok, other;
	char buf[4096];

	TEST_ASSERT_EQ(view_http_server_publish(h, "a_total 1\n", 10), 0);
	exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 200 OK\r\n", 17), "%s", buf);
	TEST_ASSERT(strstr(buf, "Content-Type: text/plain; version=0.0.4\r\n"), "%s", buf);
	TEST_ASSERT(strstr(buf, "\r\n\r\na_total 1\n") && !strstr(buf, "a_total 1\na"), "%s", buf);
	/* A new publication is what the next scrape gets. */
	TEST_ASSERT_EQ(view_http_server_publish(h, "a_total 2\n", 10), 0);
	exchange("GET /metrics?x=1 HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, " 200 OK\r\n") && strstr(buf, "\r\n\r\na_total 2\n"), "%s", buf);
	exchange("HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, " 200 OK\r\n") && !strstr(buf, "a_total"), "HEAD: %s", buf);
	exchange("GET /other HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 404 ", 13), "%s", buf);
	exchange("POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
		 buf, sizeof(buf));
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 405 ", 13) && strstr(buf, "Allow: GET, HEAD\r\n"),
		    "%s", buf);
	/* Not HTTP: dropped (libmicrohttpd closes it), nothing served. */
	exchange("garbage\r\n\r\n", buf, sizeof(buf));
	TEST_ASSERT(!strstr(buf, " 200 ") && !strstr(buf, "a_total"), "[%s]", buf);
	view_http_server_counts(h, &ok, &other);
	TEST_ASSERT(ok == 3 && other == 2, "%lu ok, %lu other", ok, other);
	view_http_server_stop(h);
}

/*
 * 50 clients connect and send nothing: a scrape beside them is answered
 * at once (well within the 10 s an idle client is kept: 5 s allowed).
 */
static void test_idle_clients(void)
{
	enum { IDLE = 50 };
	struct view_http_server *h = start(NULL);
	int idle[IDLE];
	char buf[4096];
	double t0, took;

	TEST_ASSERT_EQ(view_http_server_publish(h, "b 1\n", 4), 0);
	for (int i = 0; i < IDLE; i++)
		idle[i] = connect_local();
	/* One byte of a request line from half of them: stalled mid-request. */
	for (int i = 0; i < IDLE; i += 2)
		TEST_ASSERT(send(idle[i], "G", 1, MSG_NOSIGNAL) == 1, "send");
	t0 = now_s();
	exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	took = now_s() - t0;
	TEST_ASSERT(strstr(buf, " 200 OK\r\n") && strstr(buf, "\r\n\r\nb 1\n"), "%s", buf);
	TEST_ASSERT(took < 5, "a scrape beside %d idle clients took %.2f s", IDLE, took);
	printf("# a scrape beside %d idle clients: %.3f s\n", IDLE, took);
	for (int i = 0; i < IDLE; i++)
		close(idle[i]);
	view_http_server_stop(h);
}

static void test_basic_auth(void)
{
	struct view_http_server_opts o = { .content_type = "text/plain", .basic_auth = "prom:s3cret" };
	struct view_http_server *h = start(&o);
	char buf[4096];

	TEST_ASSERT_EQ(view_http_server_publish(h, "c 1\n", 4), 0);
	exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", buf, sizeof(buf));
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 401 ", 13) &&
		    strstr(buf, "WWW-Authenticate: Basic realm=\"vmtrace\""), "%s", buf);
	/* prom:wrong */
	exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cHJvbTp3cm9uZw==\r\n"
		 "Connection: close\r\n\r\n", buf, sizeof(buf));
	TEST_ASSERT(!strncmp(buf, "HTTP/1.1 401 ", 13), "%s", buf);
	/* prom:s3cret */
	exchange("GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cHJvbTpzM2NyZXQ=\r\n"
		 "Connection: close\r\n\r\n", buf, sizeof(buf));
	TEST_ASSERT(strstr(buf, " 200 OK\r\n") && strstr(buf, "\r\n\r\nc 1\n"), "%s", buf);
	view_http_server_stop(h);
}

/* HTTPS with a certificate made here by openssl, read back by curl. */
static void test_tls(void)
{
	char dir[] = "/tmp/http_tls.XXXXXX", cmd[512], cert[64], key[64], out[128];
	struct view_http_server_opts o = { .content_type = "text/plain" };
	struct view_http_server *h;
	char body[64] = "";
	FILE *f;

	if (system("command -v openssl >/dev/null && command -v curl >/dev/null"))
		tap_skip("openssl or curl missing (scripts/deps installs both)");
	TEST_ASSERT(mkdtemp(dir), "mkdtemp");
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 -nodes -days 1 "
		 "-subj /CN=127.0.0.1 -keyout %s -out %s 2>/dev/null", key, cert);
	TEST_ASSERT(!system(cmd), "openssl req");
	o.tls_cert = cert;
	o.tls_key = key;
	h = start(&o);
	TEST_ASSERT_EQ(view_http_server_publish(h, "d 1\n", 4), 0);
	snprintf(cmd, sizeof(cmd), "curl -sk -m 20 -o %s https://127.0.0.1:%u/metrics", out, port);
	TEST_ASSERT(!system(cmd), "curl https");
	f = fopen(out, "r");
	TEST_ASSERT(f && fgets(body, sizeof(body), f), "read");
	fclose(f);
	TEST_ASSERT(!strcmp(body, "d 1\n"), "body %s", body);
	/* Plain HTTP to the HTTPS port gets nothing served. */
	snprintf(cmd, sizeof(cmd), "curl -s -m 20 -o /dev/null http://127.0.0.1:%u/metrics", port);
	TEST_ASSERT(system(cmd), "plain HTTP answered on the TLS port");
	view_http_server_stop(h);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	TEST_ASSERT(!system(cmd), "rm");
}

/* What the server refuses to start with: one half of TLS, a bad file. */
static void test_bad_options(void)
{
	struct view_http_server_opts half = { .content_type = "t", .tls_cert = "/nonexistent" };
	struct view_http_server_opts missing = { .content_type = "t", .tls_cert = "/nonexistent/c",
					    .tls_key = "/nonexistent/k" };
	struct view_http_server_opts auth = { .content_type = "t", .basic_auth = "nocolon" };
	struct view_http_server *h;
	char why[256];
	int fd;

	TEST_ASSERT_EQ(view_http_listen("127.0.0.1:0", &fd, NULL), 0);
	why[0] = 0;
	TEST_ASSERT_EQ(view_http_server_start(fd, &half, &h, why, sizeof(why)), -EINVAL);
	TEST_ASSERT(strstr(why, "both a certificate and its key"), "%s", why);
	TEST_ASSERT_EQ(view_http_listen("127.0.0.1:0", &fd, NULL), 0);
	why[0] = 0;
	TEST_ASSERT_EQ(view_http_server_start(fd, &missing, &h, why, sizeof(why)), -ENOENT);
	TEST_ASSERT(strstr(why, "/nonexistent/c: No such file"), "%s", why);
	TEST_ASSERT_EQ(view_http_listen("127.0.0.1:0", &fd, NULL), 0);
	why[0] = 0;
	TEST_ASSERT_EQ(view_http_server_start(fd, &auth, &h, why, sizeof(why)), -EINVAL);
	TEST_ASSERT(strstr(why, "USER:PASSWORD"), "%s", why);
	TEST_ASSERT(h == NULL, "a server after a failed start");
}

static const struct tap_test tests[] = {
	TAP_TEST(listen_addresses),
	TAP_TEST(routes),
	TAP_TEST(idle_clients),
	TAP_TEST(basic_auth),
	TAP_TEST(tls),
	TAP_TEST(bad_options),
};

int main(int argc, char **argv)
{
	return tap_main(argc, argv, tests, ARRAY_SIZE(tests), 0);
}
