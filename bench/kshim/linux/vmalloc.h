#ifndef KSHIM_VMALLOC_H
#define KSHIM_VMALLOC_H
#include <errno.h>
#include <stdlib.h>
static inline void *vzalloc_node(unsigned long size, int node) { (void)node; return calloc(1, size); }
static inline void vfree(const void *p) { free((void *)p); }
#endif
