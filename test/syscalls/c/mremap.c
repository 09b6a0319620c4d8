/* mremap: shrinking and growing in place, moving with MREMAP_MAYMOVE and
 * to a chosen address with MREMAP_FIXED (contents follow, the old range
 * is gone), ENOMEM without MAYMOVE when the next page is taken, and
 * MREMAP_DONTUNMAP: the contents move, the old range stays mapped and
 * reads as zeros; EINVAL for unequal sizes or without MAYMOVE. */
#include "test.h"

#include <sys/mman.h>
#include <sys/syscall.h>

#define PG 4096

/* mapped says whether the page at p is mapped (msync answers ENOMEM for
 * an unmapped range). */
static int mapped(void *p)
{
	return msync(p, PG, MS_ASYNC) == 0;
}

static char *anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(p != MAP_FAILED);
	return p;
}

/* remap is the raw system call: glibc's wrapper does not pass
 * MREMAP_DONTUNMAP through. */
static void *remap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

int main(void)
{
	/* Shrink, then grow back in place: the room behind is free. */
	char *p = anon(4 * PG);
	CHECK(munmap(p + 2 * PG, 2 * PG) == 0);
	p[0] = 'a', p[PG] = 'b';
	CHECK(remap(p, 2 * PG, PG, 0, NULL) == p);
	CHECK(!mapped(p + PG));
	CHECK(remap(p, PG, 3 * PG, 0, NULL) == p);
	CHECK_EQ(p[0], 'a');
	CHECK_EQ(p[PG], 0);
	PASS("shrink and grow in place");

	/* The page after is taken: ENOMEM without MAYMOVE, a move with it. */
	char *q = anon(2 * PG);
	CHECK(munmap(q + PG, PG) == 0);
	char *blocker = mmap(q + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(blocker == q + PG);
	q[10] = 'q';
	CHECK(remap(q, PG, 2 * PG, 0, NULL) == MAP_FAILED && errno == ENOMEM);
	char *moved = remap(q, PG, 2 * PG, MREMAP_MAYMOVE, NULL);
	CHECK(moved != MAP_FAILED && moved != q);
	CHECK_EQ(moved[10], 'q');
	CHECK(!mapped(q));
	PASS("MREMAP_MAYMOVE");

	/* MREMAP_FIXED: exactly there, replacing what was there. */
	char *target = anon(2 * PG);
	char *fixed = remap(moved, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	CHECK(fixed == target);
	CHECK_EQ(fixed[10], 'q');
	CHECK(!mapped(moved));
	CHECK(remap(fixed, PG, PG, MREMAP_FIXED, target + 8 * PG) == MAP_FAILED && errno == EINVAL);
	PASS("MREMAP_FIXED");

	/* MREMAP_DONTUNMAP: the old range stays, empty. */
	char *d = anon(2 * PG);
	d[0] = 'x', d[PG] = 'y';
	char *nd = remap(d, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	CHECK(nd != MAP_FAILED && nd != d);
	CHECK(nd[0] == 'x' && nd[PG] == 'y');
	CHECK(mapped(d) && mapped(d + PG));
	CHECK(d[0] == 0 && d[PG] == 0);
	d[0] = 'z';
	CHECK_EQ(nd[0], 'x');
	CHECK(remap(nd, 2 * PG, PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL) == MAP_FAILED && errno == EINVAL);
	CHECK(remap(nd, 2 * PG, 2 * PG, MREMAP_DONTUNMAP, NULL) == MAP_FAILED && errno == EINVAL);
	PASS("MREMAP_DONTUNMAP");
	return 0;
}
