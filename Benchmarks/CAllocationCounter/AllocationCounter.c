// Counting wrappers around glibc's allocator, for rotation-bench's allocations-per-operation figure.
//
// An executable that defines `malloc` interposes it for every shared library of the process (libswiftCore included),
// because the dynamic linker searches the executable first and the linker exports a definition that a linked
// shared library references. Each wrapper adds one to a relaxed atomic counter and forwards to glibc's own entry
// point, so behaviour and alignment are glibc's. `free` is not wrapped: the figure counts allocations, not frees.
#include "AllocationCounter.h"

#if defined(__GLIBC__) || (defined(__linux__) && !defined(__ANDROID__))
#include <stddef.h>
#include <stdatomic.h>
#include <errno.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Atomic long long allocations = 0;

static inline void count_one(void) { atomic_fetch_add_explicit(&allocations, 1, memory_order_relaxed); }

long long keyrotation_allocation_count(void) { return atomic_load_explicit(&allocations, memory_order_relaxed); }

void *malloc(size_t size) {
    count_one();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    count_one();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    count_one();
    return __libc_realloc(pointer, size);
}

void *memalign(size_t alignment, size_t size) {
    count_one();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    count_one();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    count_one();
    void *pointer = __libc_memalign(alignment, size);
    if (pointer == NULL && size != 0) return ENOMEM;
    *result = pointer;
    return 0;
}
#else
long long keyrotation_allocation_count(void) { return -1; }
#endif
