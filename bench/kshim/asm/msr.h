#ifndef KSHIM_MSR_H
#define KSHIM_MSR_H
#include <x86intrin.h>
static inline unsigned long long rdtsc(void) { return __rdtsc(); }
#endif
