// SPDX-License-Identifier: GPL-2.0
/*
 * vmtrace-collect profile: make and inspect Linux guest profiles.
 *   profile create (--btf FILE | --vmlinux FILE | --vmlinuz FILE)
 *                  --system-map FILE -o PROFILE [--banner TEXT] [--release R]
 *   profile show PROFILE
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* also given by the selftests' -D_GNU_SOURCE */
#endif
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd/cmd.h"
#include <bpf/btf.h>
#include "guest/btf_profile.h"
#include "guest/acct.h"
#include "cmd/guest_cmds.h"
#include "guest/vmlinuz.h"

static void profile_usage(FILE *f)
{
	fprintf(f,
		"Usage: %s profile create (--btf FILE | --vmlinux FILE | --vmlinuz FILE)\n"
		"                 [--system-map FILE] -o PROFILE [--banner TEXT] [--release R]\n"
		"       %s profile show PROFILE\n\n"
		"create: reads struct layouts from the guest kernel's BTF (raw BTF such as\n"
		"/sys/kernel/btf/vmlinux, or the .BTF of a vmlinux, or of the vmlinux inside\n"
		"a vmlinuz) and symbol addresses from its System.map or a copy of its\n"
		"/proc/kallsyms read as root (KASLR is undone), or without those from the\n"
		"kallsyms tables inside the vmlinux/vmlinuz itself; writes a profile.\n"
		"The banner (\"Linux version ...\") that matches guests to the profile comes\n"
		"from the image; with --btf give it: --banner \"$(cat /proc/version)\".\n"
		"Put profiles in %s (or --profile-dir) to have them\n"
		"found by banner.  (Debian's /boot/System.map is a stub: leave it out.)\n"
		"show: prints what a profile holds.\n" CMD_HELP_FOOTER,
		cmd_prog_name, cmd_prog_name, GUEST_PROFILE_DIR_DEFAULT);
}

/*
 * The guest accounting layout (guest/acct.h) from the same BTF the profile
 * was made from, into the profile: then a guest known by this profile
 * alone has its processes' CPU and memory accounted.  0 or -errno and
 * @why; a profile without it still works for everything else.
 */
static int add_accounting(const struct guest_profile_sources *src, struct guest_profile *p,
			  char *why, size_t why_len)
{
	struct guest_acct_layout l;
	struct guest_kimage img = { 0 };
	struct btf *btf = NULL;
	const void *raw;
	size_t len;
	int err;

	if (src->btf_path || src->vmlinux_path) {
		/* Raw BTF, or an ELF with .BTF: libbpf reads both. */
		err = guest_acct_layout_from_btf(src->btf_path ?: src->vmlinux_path, &l, why,
					    why_len);
	} else {
		err = guest_kimage_load(src->vmlinuz_path, &img);
		if (!err)
			err = guest_kimage_btf(&img, &raw, &len);
		if (!err) {
			btf = btf__new(raw, len);
			err = btf ? 0 : errno ? -errno : -EBADMSG;
		}
		if (err)
			snprintf(why, why_len, "%s: no BTF", src->vmlinuz_path);
		else
			err = guest_acct_layout_from_btf_obj(btf, &l, why, why_len);
		btf__free(btf);
		guest_kimage_free(&img);
	}
	if (!err)
		guest_acct_layout_to_profile(&l, p);
	return err;
}

static int profile_create(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "btf", required_argument, NULL, 'b' },
		{ "vmlinux", required_argument, NULL, 'x' },
		{ "vmlinuz", required_argument, NULL, 'z' },
		{ "system-map", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "banner", required_argument, NULL, 'B' },
		{ "release", required_argument, NULL, 'r' },
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	struct guest_profile_sources src = { 0 };
	struct guest_profile *p;
	const char *output = NULL;
	char why[512] = "", *tmp = NULL;
	int opt, err, nr_inputs = 0;
	FILE *f;

	cmd_name = "profile create";
	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":o:h", longopts, &err)) != -1) {
		switch (opt) {
		case 'b': src.btf_path = optarg; nr_inputs++; break;
		case 'x': src.vmlinux_path = optarg; nr_inputs++; break;
		case 'z': src.vmlinuz_path = optarg; nr_inputs++; break;
		case 'm': src.symbols_path = optarg; break;
		case 'o': output = optarg; break;
		case 'B': src.banner = optarg; break;
		case 'r': src.release = optarg; break;
		case 'h': profile_usage(stdout); return 0;
		}
	}
	if (err >= 0)
		return err;
	if (optind != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind]);
	if (nr_inputs != 1)
		return cmd_usage_error("which kernel? one of --btf, --vmlinux or --vmlinuz");
	if (!output)
		return cmd_usage_error("which file? -o PROFILE");
	if (src.btf_path && !src.symbols_path)
		return cmd_usage_error("--btf %s: needs --system-map FILE (BTF has no addresses)",
				   src.btf_path);

	/* What it reads is the input: what fails there is bad input (2). */
	err = guest_profile_create(&src, &p, why, sizeof(why));
	if (err) {
		fprintf(stderr, "%s: profile create: %s\n", cmd_prog_name,
			*why ? why : strerror(-err));
		return cmd_input_status(err);
	}
	if (add_accounting(&src, p, why, sizeof(why)))
		fprintf(stderr, "%s: profile create: no guest accounting layout (%s): "
			"the profile names processes, the guest's own CPU and memory figures "
			"stay unknown\n", cmd_prog_name, why);
	/* Written aside and renamed: a profile directory never holds half a file. */
	if (asprintf(&tmp, "%s.tmp.%d", output, (int)getpid()) < 0) {
		guest_profile_free(p);
		return 1;
	}
	f = fopen(tmp, "we");
	err = f ? guest_profile_write(f, p) : -errno;
	if (f && fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, output))
		err = -errno;
	if (err) {
		fprintf(stderr, "%s: %s: %s\n", cmd_prog_name, output, strerror(-err));
		unlink(tmp);
	} else {
		printf("profile %s: linux %s, %zu code symbols\n", output, p->release,
		       p->code ? guest_ksyms_count(p->code) : 0);
	}
	free(tmp);
	guest_profile_free(p);
	return err ? 1 : 0;
}

static int profile_show(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CMD_COMMON_OPTIONS,
		{ 0 }
	};
	struct guest_profile *p;
	int opt, err, i;

	cmd_name = "profile show";
	optind = 1;
	while ((opt = cmd_getopt(argc, argv, ":h", longopts, &err)) != -1) {
		if (opt == 'h') {
			profile_usage(stdout);
			return 0;
		}
	}
	if (err >= 0)
		return err;
	if (optind == argc)
		return cmd_usage_error("which profile? profile show PROFILE");
	if (optind + 1 != argc)
		return cmd_usage_error("%s: unexpected argument", argv[optind + 1]);
	err = cmd_load_guest_profile(argv[optind], &p);
	if (err)
		return err;
	printf("release: %s\n", p->release);
	printf("banner: %s", p->banner ? p->banner : "(none)\n");
	if (p->banner && p->banner[strlen(p->banner) - 1] != '\n')
		printf("\n");
	printf("source: %s\n", p->source ? p->source : "?");
	printf("pointer size: %u\n", p->pointer_size);
	printf("text link: 0x%llx\n", (unsigned long long)p->text_link);
	for (i = 0; i < __GUEST_PROF_FIELDS; i++) {
		if (p->field[i] == GUEST_PROF_ABSENT)
			printf("field %s: absent\n", guest_prof_field_name(i));
		else
			printf("field %s: %d\n", guest_prof_field_name(i), p->field[i]);
	}
	for (i = 0; i < __GUEST_PROF_SYMS; i++)
		printf("symbol %s: 0x%llx\n", guest_prof_sym_name(i),
		       (unsigned long long)p->sym[i]);
	for (i = 0; i < __GUEST_PROF_ACCT; i++) {
		if (p->acct[i] == GUEST_PROF_ABSENT)
			printf("acct %s: absent\n", guest_prof_acct_name(i));
		else
			printf("acct %s: %d\n", guest_prof_acct_name(i), p->acct[i]);
	}
	printf("code symbols: %zu\n", p->code ? guest_ksyms_count(p->code) : 0);
	guest_profile_free(p);
	return fflush(stdout) ? 1 : 0;
}

int cmd_profile(int argc, char *argv[])
{
	if (argc >= 2 && !strcmp(argv[1], "create"))
		return profile_create(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "show"))
		return profile_show(argc - 1, argv + 1);
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		profile_usage(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		cmd_print_version();
		return 0;
	}
	if (argc < 2)
		return cmd_usage_error("create or show?");
	return cmd_usage_error("%s: neither create nor show", argv[1]);
}
