// SPDX-License-Identifier: GPL-2.0
/* Every other CPU offline around a step (cpu_quiesce.h says why). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "cpu_quiesce.h"

/* Write "0" or "1" to cpuN/online: 0, 1 when the CPU has no such file
 * (CPU 0, or no hotplug), or -errno. */
static int cpu_set_online(unsigned int cpu, int online)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/online", cpu);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 1 : -errno;
	n = write(fd, online ? "1" : "0", 1);
	if (n != 1) {
		int err = n < 0 ? -errno : -EIO;

		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

/* 1 when cpuN is online, 0 when offline or absent. */
static int cpu_is_online(unsigned int cpu)
{
	char path[64], c = '0';
	int fd;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%u/online", cpu);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (read(fd, &c, 1) != 1)
		c = '0';
	close(fd);
	return c == '1';
}

int cpu_quiesce(struct cpu_quiesce *q)
{
	long nr = sysconf(_SC_NPROCESSORS_CONF);

	q->nr = 0;
	for (long cpu = 1; cpu < nr && cpu < CPU_QUIESCE_MAX; cpu++) {
		int err;

		if (!cpu_is_online(cpu))
			continue;
		err = cpu_set_online(cpu, 0);
		if (err == 1)
			continue;
		if (err) {
			cpu_unquiesce(q);
			return err;
		}
		q->cpu[q->nr++] = cpu;
	}
	return 0;
}

int cpu_unquiesce(struct cpu_quiesce *q)
{
	int first = 0;

	for (unsigned int i = 0; i < q->nr; i++) {
		int err = cpu_set_online(q->cpu[i], 1);

		if (err < 0 && !first)
			first = err;
	}
	q->nr = 0;
	return first;
}
