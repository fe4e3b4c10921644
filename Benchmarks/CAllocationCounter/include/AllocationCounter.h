#ifndef KEYROTATION_ALLOCATION_COUNTER_H
#define KEYROTATION_ALLOCATION_COUNTER_H

/// Heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc, memalign) the process has made since it
/// started, counted by wrappers that this target links into the benchmark executable. They take precedence over
/// glibc's for every library of the process (the executable comes first in symbol lookup) and forward to glibc's
/// `__libc_*` entry points. Returns -1 where the wrappers are not built (not glibc).
long long keyrotation_allocation_count(void);

#endif
