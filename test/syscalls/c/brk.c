/* brk: the program break grows, the new memory is zeroed and writable,
 * shrinking unmaps it, and growing again gives fresh zeroed pages. Raw
 * brk system calls only, and no stdio until the end, so that malloc does
 * not move the break under the test. */
#include "test.h"

#include <stdint.h>
#include <sys/syscall.h>

static uintptr_t sys_brk(uintptr_t addr)
{
	return (uintptr_t)syscall(SYS_brk, addr);
}

int main(void)
{
	uintptr_t start = sys_brk(0);
	CHECK(start != 0);
	CHECK_EQ(sys_brk(0), start); /* querying does not move it */

	/* grow by 1 MiB plus a bit: the break is exact, pages are rounded */
	uintptr_t want = start + (1 << 20) + 123;
	CHECK_EQ(sys_brk(want), want);
	CHECK_EQ(sys_brk(0), want);
	volatile unsigned char *p = (unsigned char *)start;
	for (uintptr_t i = 0; i < want - start; i++)
		CHECK(p[i] == 0);
	for (uintptr_t i = 0; i < want - start; i++)
		p[i] = 0xab;
	for (uintptr_t i = 0; i < want - start; i++)
		CHECK(p[i] == 0xab);

	/* shrink back, then grow again: the pages come back zeroed */
	CHECK_EQ(sys_brk(start), start);
	CHECK_EQ(sys_brk(0), start);
	CHECK_EQ(sys_brk(start + 8 * 4096), start + 8 * 4096);
	uintptr_t page_end = (start + 4095) & ~(uintptr_t)4095;
	for (uintptr_t a = page_end; a < start + 8 * 4096; a++)
		CHECK(*(volatile unsigned char *)a == 0);
	CHECK_EQ(sys_brk(start), start);

	/* a break below the start of the heap is refused: brk returns the
	 * current break unchanged */
	CHECK_EQ(sys_brk(start - (64 << 20)), start);
	CHECK_EQ(sys_brk(0), start);

	/* sbrk agrees with the raw call */
	void *old = sbrk(4096);
	CHECK(old == (void *)start);
	CHECK(sbrk(0) == (void *)(start + 4096));
	*(volatile char *)start = 1;
	CHECK(sbrk(-4096) == (void *)(start + 4096));
	CHECK(sbrk(0) == (void *)start);

	PASS("grow-write-shrink");
	return 0;
}
