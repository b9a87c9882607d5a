#ifndef KSHIM_LOCAL64_H
#define KSHIM_LOCAL64_H
#include <asm/local.h>
typedef struct { local_t a; } local64_t;
#define local64_read(l) local_read(&(l)->a)
#define local64_set(l, i) local_set(&(l)->a, (i))
#define local64_inc(l) local_inc(&(l)->a)
#define local64_add(i, l) local_add((i), &(l)->a)
#endif
