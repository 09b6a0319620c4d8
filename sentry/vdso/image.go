// Package vdso owns the sentry's vDSO: the ELF image that every
// application process gets (AT_SYSINFO_EHDR), its data page ("vvar") in
// the memory file, and the timekeeper that keeps that page's clock
// parameters tracking the host, so that clock_gettime, gettimeofday, time
// and getcpu called through libc or the Go runtime never leave the
// application.
//
// The image (vdso.so, built from image/ by image/mkimage.sh and committed,
// so the sentry builds without a C toolchain) is a position-independent
// shared object linked at 0 that reads the data page one page below its
// base. The data page (layout in image/vvar.h and vvar.go) holds, under a
// sequence count, a linear map from the TSC to CLOCK_MONOTONIC and the
// offset of CLOCK_REALTIME. When the host's TSC is not invariant the page
// says "make the system call", and the vDSO does, as it does for every
// clock it does not serve.
//
// One VDSO per memory file (per kernel): New allocates the data page and a
// copy of the image there; Map maps both into an address space as [vvar]
// and [vdso]; Now reads the very page the applications read, which is what
// the sentry's own clock_gettime serves, so a program mixing the vDSO and
// the system call never sees a clock go back.
//
// Locking: one timekeeper per sentry process (timekeeper.go) owns every
// registered VDSO's page and writes it only under timekeeper.mu, which
// guards the set of pages and each page's Go-side parameters. Readers
// (applications, Now) take no lock: the sequence count. Release
// unregisters a page (taking timekeeper.mu), after which nothing writes it.
package vdso

import (
	_ "embed"
)

//go:generate sh image/mkimage.sh ../vdso.so

// image is the vDSO ELF image.
//
//go:embed vdso.so
var image []byte
