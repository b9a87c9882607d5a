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
	struct vv_cli cli;
	int listen_fd;
	struct vv_snapshot last;
	bool have_last;
	unsigned long scrapes;
};

static void serve_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s serve [--listen ADDR:PORT] [options]\n\n"
		"Serves the per-VM and per-process figures of both sides at\n"
		"http://ADDR:PORT/metrics in the Prometheus text format.\n"
		"  --listen ADDR:PORT  numeric address (default %s;\n"
		"                      0.0.0.0:9464 or [::]:9464 for every interface)\n",
		prog_name, HTTP_DEFAULT_LISTEN);
	vv_cli_usage(f);
}

static int render(void *arg, char **body, size_t *len)
{
	struct serve *s = arg;
	FILE *f = open_memstream(body, len);
	static const struct vv_snapshot empty;
	int err;

	if (!f)
		return -ENOMEM;
	err = prom_write(f, s->have_last ? &s->last : &empty);
	if (fclose(f) && !err)
		err = -ENOMEM;
	s->scrapes++;
	return err;
}

static int serve_idle(void *arg, int timeout_ms)
{
	struct serve *s = arg;
	struct pollfd p = { .fd = s->listen_fd, .events = POLLIN };
	int status;

	if (poll(&p, 1, timeout_ms) == 1)
		http_serve_one(s->listen_fd, HTTP_DEFAULT_TIMEOUT_MS, PROM_CONTENT_TYPE,
			       render, s, &status);
	return 0;
}

static int serve_tick(void *arg, struct vv_snapshot *snap, struct vv_sampler *sampler)
{
	struct serve *s = arg;

	(void)sampler;
	/* The first snapshot has identities but no rates: serve it until
	 * the next, so that a scrape right after start sees the VMs. */
	vv_snapshot_free(&s->last);
	if (vv_snapshot_copy(&s->last, snap))
		return 1;
	s->have_last = true;
	return 0;
}

int serve_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		VV_CLI_OPTIONS,
		{ 0 }
	};
	static struct serve s;
	const char *listen = HTTP_DEFAULT_LISTEN;
	unsigned int port;
	int opt, err, ret;

	memset(&s, 0, sizeof(s));
	vv_cli_init(&s.cli);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen = optarg;
			break;
		case 'h':
			serve_usage(stdout);
			return 0;
		default:
			if (vv_cli_option(&s.cli, opt, optarg) == 1)
				break;
			serve_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		serve_usage(stderr);
		return EXIT_USAGE;
	}
	err = http_listen(listen, &s.listen_fd, &port);
	if (err) {
		fprintf(stderr, "%s: serve: cannot listen on %s: %s\n", prog_name, listen,
			err == -EINVAL ? "not a numeric ADDR:PORT" : strerror(-err));
		return err == -EINVAL ? EXIT_USAGE : 1;
	}
	fprintf(stderr, "%s: serving http://%s/metrics (port %u)\n", prog_name, listen, port);
	ret = vv_run(&s.cli, serve_tick, serve_idle, &s);
	close(s.listen_fd);
	vv_snapshot_free(&s.last);
	return ret;
}
