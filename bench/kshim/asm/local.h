#ifndef KSHIM_LOCAL_H
#define KSHIM_LOCAL_H
/* As arch/x86/include/asm/local.h: single instructions, no LOCK prefix. */
typedef struct { long v; } local_t;
static inline long local_read(const local_t *l) { return *(volatile const long *)&l->v; }
static inline void local_set(local_t *l, long i) { *(volatile long *)&l->v = i; }
static inline void local_inc(local_t *l) { asm volatile("incq %0" : "+m"(l->v)); }
static inline void local_dec(local_t *l) { asm volatile("decq %0" : "+m"(l->v)); }
static inline void local_add(long i, local_t *l) { asm volatile("addq %1,%0" : "+m"(l->v) : "ir"(i)); }
static inline long local_inc_return(local_t *l)
{
	long i = 1;

	asm volatile("xaddq %0, %1" : "+r"(i), "+m"(l->v) : : "memory");
	return i + 1;
}
static inline long local_xchg(local_t *l, long n)
{
	asm volatile("xchgq %0, %1" : "+r"(n), "+m"(l->v) : : "memory");
	return n;
}
#endif
