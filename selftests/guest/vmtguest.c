// SPDX-License-Identifier: GPL-2.0
/*
 * The programs of the introspection test's Linux guest, one static binary
 * named by argv[0] (the guest's init links each name to it; the name a
 * program is started under is its comm):
 *
 *   vmtburn   spins on the CPU for ever in burn_loop()
 *   vmtidle   sleeps for ever
 *   vmtduo    two threads, duo-a and duo-b, spinning in turn (about a
 *             second each) in duo_spin_a() and duo_spin_b()
 *   vmtpeek   changes a variable every 2 s and prints its address and
 *             value after each change
 *   vmtps     prints the guest's own process list (pid, comm) from /proc
 *
 * Every line starts with the program's name and a colon, so the test finds
 * them in the guest's serial log.  The spin loops call nothing: a sample
 * whose RIP is inside burn_loop was taken while vmtburn ran, whatever the
 * decoder says; that is the test's ground truth.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define PEEK_BASE 0x5eed000000000000ULL

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Spin @n iterations; noinline so that its code is its own symbol. */
__attribute__((noinline)) void burn_loop(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void duo_spin_a(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void duo_spin_b(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		__asm__ volatile("" ::: "memory");
}

static __attribute__((noreturn)) int burn_main(void)
{
	printf("vmtburn: pid %d\n", getpid());
	fflush(stdout);
	for (;;)
		burn_loop(1ULL << 30);
}

static __attribute__((noreturn)) int idle_main(void)
{
	printf("vmtidle: pid %d\n", getpid());
	fflush(stdout);
	for (;;)
		pause();
}

/* Whose turn it is; the other thread sleeps on the condition meanwhile. */
static int duo_turn;
static pthread_mutex_t duo_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t duo_cond = PTHREAD_COND_INITIALIZER;

struct duo_thread {
	int me;
	const char *name;
	void (*spin)(uint64_t);
};

static void *duo_thread(void *arg)
{
	struct duo_thread *t = arg;
	double start;

	prctl(PR_SET_NAME, t->name);
	printf("vmtduo: pid %d %s tid %ld\n", getpid(), t->name, (long)syscall(SYS_gettid));
	fflush(stdout);
	for (;;) {
		pthread_mutex_lock(&duo_lock);
		while (duo_turn != t->me)
			pthread_cond_wait(&duo_cond, &duo_lock);
		pthread_mutex_unlock(&duo_lock);
		/* About a second of spinning, in chunks between clock reads. */
		start = now();
		while (now() - start < 1.0)
			t->spin(1 << 20);
		pthread_mutex_lock(&duo_lock);
		duo_turn = !t->me;
		pthread_cond_broadcast(&duo_cond);
		pthread_mutex_unlock(&duo_lock);
	}
	return NULL;
}

static int duo_main(void)
{
	static struct duo_thread threads[2] = {
		{ 0, "duo-a", duo_spin_a }, { 1, "duo-b", duo_spin_b },
	};
	pthread_t tid[2];
	int i;

	for (i = 0; i < 2; i++)
		if (pthread_create(&tid[i], NULL, duo_thread, &threads[i]))
			return 1;
	pthread_join(tid[0], NULL);
	return 0;
}

static volatile uint64_t peek_value;

static __attribute__((noreturn)) int peek_main(void)
{
	uint64_t seq;

	for (seq = 1;; seq++) {
		/* Changed, then printed: the log never runs ahead of memory. */
		peek_value = PEEK_BASE + seq;
		printf("vmtpeek: pid %d addr 0x%lx value %llu seq %llu\n", getpid(),
		       (unsigned long)&peek_value, (unsigned long long)peek_value,
		       (unsigned long long)seq);
		fflush(stdout);
		sleep(2);
	}
}

static int ps_main(void)
{
	struct dirent *de;
	char path[300], comm[64];
	DIR *d = opendir("/proc");
	FILE *f;

	if (!d)
		return 1;
	/* No fork, no exec: the list is exactly the guest's at this moment. */
	while ((de = readdir(d))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = 0;
			printf("vmtps: %s %s\n", de->d_name, comm);
		}
		fclose(f);
	}
	closedir(d);
	printf("vmtps: self %d\nvmtps: end\n", getpid());
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');

	(void)argc;
	name = name ? name + 1 : argv[0];
	if (!strcmp(name, "vmtburn"))
		return burn_main();
	if (!strcmp(name, "vmtidle"))
		return idle_main();
	if (!strcmp(name, "vmtduo"))
		return duo_main();
	if (!strcmp(name, "vmtpeek"))
		return peek_main();
	if (!strcmp(name, "vmtps"))
		return ps_main();
	fprintf(stderr, "vmtguest: run me as vmtburn, vmtidle, vmtduo, vmtpeek or vmtps\n");
	return 2;
}
