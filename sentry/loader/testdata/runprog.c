static long sc(long n, long a, long b, long c, long d, long e, long f) {
	register long r10 asm("r10") = d;
	register long r8 asm("r8") = e;
	register long r9 asm("r9") = f;
	long ret;
	asm volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return ret;
}
static char bss[300000];
static const char ro[16] = "readonly";
static long slen(const char *s) { long n = 0; while (s[n]) n++; return n; }
static long deep(int n) { volatile char buf[1024]; buf[0] = 1; if (n == 0) return buf[0]; return deep(n - 1) + buf[0]; }
void cmain(long *sp) {
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	for (long i = 0; i < argc; i++) { sc(1, 1, (long)argv[i], slen(argv[i]), 0, 0, 0); sc(1, 1, (long)"\n", 1, 0, 0, 0); }
	for (long i = 0; i < (long)sizeof bss; i += 4096) bss[i] = 1;
	long sum = 0;
	for (long i = 0; i < (long)sizeof bss; i += 4096) sum += bss[i];
	sum += deep(900) - 901;
	char *p = (char *)sc(9, 0, 1 << 20, 3, 0x22, -1, 0);
	p[12345] = 7;
	if (argc > 1 && argv[1][0] == 's') *(volatile char *)ro = 1;
	sc(231, sum + p[12345], 0, 0, 0, 0, 0);
}
asm(".globl _start\n_start:\n mov %rsp, %rdi\n and $-16, %rsp\n call cmain\n hlt\n");
