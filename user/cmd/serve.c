// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect serve: the both-sides view for Prometheus.  Samples every
 * interval like top and answers GET /metrics with the latest snapshot in
 * the text exposition format (view/prom.h).  Listens on loopback unless told
 * otherwise: the figures name the host's VMs and their guests' processes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "view/http_server.h"
#include "view/prom.h"
#include "cmd/cmd.h"
#include "cmd/sample_loop.h"

struct serve {
	struct cmd_sample_loop cli;
	struct view_http_server *http;
	unsigned long snapshots;
};

static void serve_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s serve [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE]\n"
		"                 [--basic-auth-file FILE] [options]\n\n"
		"Serves the per-VM and per-process figures of both sides at\n"
		"http://ADDR:PORT/metrics in the Prometheus text format, from a thread\n"
		"of its own (scrapes never hold up sampling).\n"
		"  --listen ADDR:PORT  numeric address (default %s;\n"
		"                      0.0.0.0:9464 or [::]:9464 for every interface)\n"
		"  --tls-cert FILE, --tls-key FILE  serve HTTPS with this PEM certificate\n"
		"                      and key\n"
		"  --basic-auth-file FILE  require HTTP basic authentication: FILE holds\n"
		"                      one line USER:PASSWORD\n"
		"  -q, --quiet         no \"serving\" line\n"
		"  -v, --verbose       a line per snapshot published\n",
		cmd_prog_name, VIEW_HTTP_DEFAULT_LISTEN);
	cmd_sample_loop_usage(f);
	fprintf(f, "Without vmtrace.ko: the VMs found in /proc and their /proc and\n"
		"guest-memory figures, no exit or sample metrics (said on stderr).\n"
		CMD_HELP_FOOTER);
}

/* Nothing to do between snapshots: the server has its own thread. */
static int serve_idle(void *arg, int timeout_ms)
{
	(void)arg;
	poll(NULL, 0, timeout_ms);
	return 0;
}

/*
 * Each snapshot, rendered once, becomes what /metrics answers.  The first
 * has identities but no rates: it is served until the next, so that a
 * scrape right after start sees the VMs.
 */
static int serve_tick(void *arg, struct trace_snapshot *snap, struct view_sampler *sampler)
{
	struct serve *s = arg;
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int err;

	/* What the figures come from (a session, or /proc alone), once. */
	if (!s->snapshots)
		cmd_info("%s", view_sampler_session_status(sampler));
	if (!f)
		return 1;
	err = view_prom_write(f, snap);
	if (fclose(f) && !err)
		err = -ENOMEM;
	if (!err)
		err = view_http_server_publish(s->http, body, len);
	free(body);
	if (err) {
		fprintf(stderr, "%s: serve: %s\n", cmd_prog_name, strerror(-err));
		return 1;
	}
	s->snapshots++;
	cmd_verbose("snapshot %lu: %zu VMs, %zu bytes of metrics", s->snapshots, snap->nr_vms,
		    len);
	return 0;
}

/* USER:PASSWORD from the first line of @path, in *out (malloc'd). */
static int read_credentials(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	size_t cap = 0;
	ssize_t n;

	*out = NULL;
	if (!f)
		return -errno;
	n = getline(out, &cap, f);
	fclose(f);
	if (n <= 0) {
		free(*out);
		*out = NULL;
		return -ENODATA;
	}
	(*out)[strcspn(*out, "\r\n")] = '\0';
	if (!strchr(*out, ':')) {
		free(*out);
		*out = NULL;
		return -EINVAL;
	}
	return 0;
}

int cmd_serve(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "tls-cert", required_argument, NULL, 'C' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "basic-auth-file", required_argument, NULL, 'A' },
		CMD_COMMON_OPTIONS,
		CMD_VERBOSITY_OPTIONS,
		CMD_SAMPLE_LOOP_OPTIONS,
		{ 0 }
	};
	static struct serve s;
	struct view_http_server_opts hopts = { .content_type = VIEW_PROM_CONTENT_TYPE };
	const char *listen = VIEW_HTTP_DEFAULT_LISTEN, *auth_file = NULL;
	char *credentials = NULL, why[256] = "";
	unsigned int port;
	int opt, err, ret, fd;

	memset(&s, 0, sizeof(s));
	cmd_sample_loop_init(&s.cli);
	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":hqv", longopts, &ret)) != -1) {
		switch (opt) {
		case 'l':
			listen = optarg;
			break;
		case 'C':
			hopts.tls_cert = optarg;
			break;
		case 'K':
			hopts.tls_key = optarg;
			break;
		case 'A':
			auth_file = optarg;
			break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			/* CMD_SAMPLE_LOOP_OPTIONS: a bad value is said there. */
			if (cmd_sample_loop_option(&s.cli, opt, optarg) < 0)
				return CMD_EXIT_USAGE;
		}
	}
	if (ret >= 0)
		return ret;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	if (auth_file) {
		err = read_credentials(auth_file, &credentials);
		if (err) {
			fprintf(stderr, "%s: serve: %s: %s\n", cmd_prog_name, auth_file,
				err == -EINVAL ? "no USER:PASSWORD line" : strerror(-err));
			return CMD_EXIT_USAGE;
		}
		hopts.basic_auth = credentials;
	}
	err = view_http_listen(listen, &fd, &port);
	if (err) {
		free(credentials);
		if (err == -EINVAL)
			return cmd_bad_value("--listen", listen, "not a numeric ADDR:PORT");
		fprintf(stderr, "%s: serve: cannot listen on %s: %s\n", cmd_prog_name, listen,
			strerror(-err));
		return 1;
	}
	err = view_http_server_start(fd, &hopts, &s.http, why, sizeof(why));
	free(credentials);
	if (err) {
		fprintf(stderr, "%s: serve: %s\n", cmd_prog_name, why);
		return err == -EINVAL || err == -ENOENT ? CMD_EXIT_USAGE : 1;
	}
	cmd_info("serving %s://%s/metrics (port %u)%s", hopts.tls_cert ? "https" : "http",
		 listen, port, hopts.basic_auth ? ", basic authentication" : "");
	ret = cmd_sample_loop_run(&s.cli, serve_tick, serve_idle, &s);
	view_http_server_stop(s.http);
	return ret;
}
