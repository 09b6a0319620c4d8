#!/bin/sh
# mkimage.sh OUT: builds the sentry's vDSO image from vdso.c, note.S,
# vdso.lds and vdso.ver with gcc and GNU ld. The output is committed
# (sentry/vdso/vdso_amd64.so, embedded by image.go) so that the sentry
# builds without a C toolchain; `go generate ./sentry/vdso` runs this and
# TestImageIsReproducible checks that the committed file is what it
# builds, when the same gcc is present (GCC_VERSION below).
set -eu
cd "$(dirname "$0")"
out=$1
gcc -O2 -g0 -fPIC -ffreestanding -fno-builtin -fno-stack-protector \
	-fno-jump-tables -fcf-protection=none -fasynchronous-unwind-tables \
	-Wall -Werror -nostdlib -shared \
	-Wl,-T,vdso.lds -Wl,--version-script=vdso.ver \
	-Wl,--hash-style=both -Wl,--build-id=none -Wl,--eh-frame-hdr \
	-Wl,-soname=linux-vdso.so.1 -Wl,-Bsymbolic -Wl,--no-undefined \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,-z,norelro \
	-o "$out" vdso.c note.S
strip --strip-debug -R .comment "$out" 2>/dev/null || true
