/* The Linux version note (ELF note "Linux", type 0): LINUX_VERSION_CODE of
 * the release the sentry reports (6.1.0). glibc and debuggers read it. */
	.section .note.Linux, "a", @note
	.balign 4
	.long 6f - 5f		/* namesz */
	.long 8f - 7f		/* descsz */
	.long 0			/* type */
5:	.asciz "Linux"
6:	.balign 4
7:	.long 0x060100
8:	.balign 4
	.section .note.GNU-stack, "", @progbits
