// SPDX-License-Identifier: GPL-2.0
/*
 * The program of the 32-bit guest test (guest32_test.sh), for Debian's
 * i386 kernels: an i386 static binary with no C library (built with -m32
 * -ffreestanding -nostdlib, so no 32-bit libc is needed on the build
 * machine), system calls through int $0x80.  Forever: set a variable to
 * a new value, print its address and value, spin for a while in spin32()
 * (where samples catch this process's CR3), sleep a little.
 *
 *   vmt32: pid P addr 0xADDR value V seq S
 *
 * V is PEEK32_BASE + S, in decimal.
 */
#define NR_exit 1
#define NR_write 4
#define NR_getpid 20
#define NR_nanosleep 162

#define PEEK32_BASE 0x5eed0000u

static volatile unsigned int peek32;

static long syscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "memory");
	return ret;
}

/* Spin @n iterations; noinline: its code is its own symbol (nm). */
__attribute__((noinline)) void spin32(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		__asm__ volatile("" ::: "memory");
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

static char *put_num(char *p, unsigned int v, unsigned int base)
{
	char tmp[16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

__attribute__((noreturn)) void _start(void)
{
	struct { long sec, nsec; } pause = { 0, 500000000 };
	unsigned int seq, pid = syscall3(NR_getpid, 0, 0, 0);
	char line[128], *p;

	for (seq = 1;; seq++) {
		/* Changed, then printed: the log never runs ahead of memory. */
		peek32 = PEEK32_BASE + seq;
		p = put_str(line, "vmt32: pid ");
		p = put_num(p, pid, 10);
		p = put_str(p, " addr 0x");
		p = put_num(p, (unsigned int)&peek32, 16);
		p = put_str(p, " value ");
		p = put_num(p, peek32, 10);
		p = put_str(p, " seq ");
		p = put_num(p, seq, 10);
		*p++ = '\n';
		syscall3(NR_write, 1, (long)line, p - line);
		spin32(50000000);
		syscall3(NR_nanosleep, (long)&pause, 0, 0);
	}
}
