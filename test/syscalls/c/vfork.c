/* vfork: the child shares the parent's memory (its mappings too) and
 * the parent is suspended until the child exits or execs; a CLONE_VM
 * process without CLONE_VFORK runs beside its parent in the same memory. */
#include "test.h"

#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

static volatile int shared_word;

static int clone_vm_child(void *arg)
{
	shared_word = (int)(intptr_t)arg;
	return 5;
}

int main(void)
{
	volatile int touched = 0;
	fflush(stdout);
	pid_t pid = vfork();
	CHECK(pid >= 0);
	if (pid == 0) {
		touched = 1; /* shared memory until _exit */
		_exit(7);
	}
	CHECK_EQ(touched, 1);
	int status;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	PASS("vfork-exit");

	/* vfork + execve: the parent resumes once the child has exec'd */
	touched = 0;
	fflush(stdout);
	pid = vfork();
	CHECK(pid >= 0);
	if (pid == 0) {
		touched = 2;
		char *argv[] = {"/bin/true", NULL};
		char *envp[] = {NULL};
		execve(argv[0], argv, envp);
		_exit(127);
	}
	CHECK_EQ(touched, 2);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	PASS("vfork-exec");

	/* A mapping the vfork child makes is the parent's as well. */
	char *volatile mapped = NULL;
	fflush(stdout);
	pid = vfork();
	CHECK(pid >= 0);
	if (pid == 0) {
		char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		p[10] = 'v';
		mapped = p;
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(mapped != NULL);
	CHECK_EQ(mapped[10], 'v');
	CHECK(munmap(mapped, 4096) == 0);
	PASS("vfork-child-mapping");

	/* clone(CLONE_VM) without CLONE_VFORK: the parent runs on and the
	 * child's store reaches it. */
	enum { STACK = 64 * 1024 };
	char *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(stack != MAP_FAILED);
	pid = clone(clone_vm_child, stack + STACK, CLONE_VM | SIGCHLD, (void *)(intptr_t)99);
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
	CHECK_EQ(shared_word, 99);
	CHECK(munmap(stack, STACK) == 0);
	PASS("clone-vm-process");
	return 0;
}
