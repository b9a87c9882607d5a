/* Userspace stand-ins for the kernel headers kmod/ring.c includes, so the
 * ring's own code can be measured natively (bench/ring_bench.c).  x86-64
 * semantics as the kernel has them. */
#ifndef KSHIM_TYPES_H
#define KSHIM_TYPES_H
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include "/usr/include/linux/types.h"
typedef uint64_t u64;
typedef uint32_t u32;
typedef uint16_t u16;
typedef uint8_t u8;
typedef int64_t s64;
#endif
