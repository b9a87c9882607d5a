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
 *   vmtchurn  threads made one after another, each living about 0.2 s and
 *             spinning in churn_spin_even() or churn_spin_odd() by the
 *             parity of its number, then exiting: threads come and go
 *             while a recording runs
 *   vmtmix    two threads at once: mix-user spins in mix_spin() (user
 *             mode), mix-kern reads /dev/zero 1 MiB at a time (kernel
 *             mode nearly all the time)
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
#include <fcntl.h>
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

/*
 * A function that spins @n iterations; noinline and global, so that its
 * code is a symbol of its own: a sample whose RIP is inside it was taken
 * while the one thread that calls it ran.
 */
#define SPIN_FUNCTION(name)						\
	__attribute__((noinline)) void name(uint64_t n);		\
	__attribute__((noinline)) void name(uint64_t n)			\
	{								\
		for (uint64_t i = 0; i < n; i++)			\
			__asm__ volatile("" ::: "memory");		\
	}

SPIN_FUNCTION(burn_loop)
SPIN_FUNCTION(duo_spin_a)
SPIN_FUNCTION(duo_spin_b)
SPIN_FUNCTION(churn_spin_even)
SPIN_FUNCTION(churn_spin_odd)
SPIN_FUNCTION(mix_spin)

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

/* Thread @k of vmtchurn: says its tid before it spins, so the log holds
 * every thread a sample can name. */
static void *churn_thread(void *arg)
{
	unsigned long k = (unsigned long)arg;
	void (*spin)(uint64_t) = k & 1 ? churn_spin_odd : churn_spin_even;
	char name[16];
	double start;

	snprintf(name, sizeof(name), "churn-%lu", k % 100000);
	prctl(PR_SET_NAME, name);
	printf("vmtchurn: thread %lu tid %ld\n", k, (long)syscall(SYS_gettid));
	fflush(stdout);
	start = now();
	while (now() - start < 0.2)
		spin(1 << 16);
	return NULL;
}

static int churn_main(void)
{
	unsigned long k;
	pthread_t t;

	printf("vmtchurn: pid %d\n", getpid());
	fflush(stdout);
	for (k = 0;; k++) {
		if (pthread_create(&t, NULL, churn_thread, (void *)k))
			return 1;
		pthread_join(t, NULL);
	}
}

static void *mix_user(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "mix-user");
	printf("vmtmix: pid %d mix-user tid %ld\n", getpid(), (long)syscall(SYS_gettid));
	fflush(stdout);
	for (;;)
		mix_spin(1 << 20);
	return NULL;
}

static void *mix_kern(void *arg)
{
	static char buf[1 << 20];
	int fd = open("/dev/zero", O_RDONLY);

	(void)arg;
	prctl(PR_SET_NAME, "mix-kern");
	printf("vmtmix: pid %d mix-kern tid %ld\n", getpid(), (long)syscall(SYS_gettid));
	fflush(stdout);
	for (;;)
		if (read(fd, buf, sizeof(buf)) < 0)
			return NULL;
}

static int mix_main(void)
{
	pthread_t t[2];

	if (pthread_create(&t[0], NULL, mix_user, NULL) ||
	    pthread_create(&t[1], NULL, mix_kern, NULL))
		return 1;
	pthread_join(t[0], NULL);
	return 0;
}

static __attribute__((noreturn)) int cmd_peek(void)
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

static int cmd_ps(void)
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
	if (!strcmp(name, "vmtchurn"))
		return churn_main();
	if (!strcmp(name, "vmtmix"))
		return mix_main();
	if (!strcmp(name, "vmtpeek"))
		return cmd_peek();
	if (!strcmp(name, "vmtps"))
		return cmd_ps();
	fprintf(stderr, "vmtguest: run me as vmtburn, vmtidle, vmtduo, vmtchurn, vmtmix, "
		"vmtpeek or vmtps\n");
	return 2;
}
