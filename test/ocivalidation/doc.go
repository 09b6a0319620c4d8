// Package ocivalidation runs the OCI runtime-tools validation suite
// (github.com/opencontainers/runtime-tools, validation/*) against Debian's
// runc and against Cocoon's runsc in the same run, and compares them
// assertion by assertion.
//
// The suite comes through the Go module proxy at a pinned pseudo-version
// (ToolsVersion), is copied to a writable cache directory without its
// vendor/ tree and built there once per version: runtimetest and one
// program per validation/*/*.go, CGO_ENABLED=0 -mod=mod, two builds at a
// time. Each program then runs from the module root, once per runtime,
// two programs at a time, each under a timeout; its TAP output is parsed
// (the JSON/YAML diagnostic blocks stripped) into ok / not ok / skip per
// assertion.
//
// The pass criterion: every assertion that runc passes here, Cocoon
// passes too, unless docs/compatibility.md lists it with a reason; and no
// listed assertion passes under Cocoon any more (the list only shrinks).
//
// Each runtime runs through a wrapper script that gives it a private
// --root, and every program gets its own TMPDIR (where the suite puts its
// bundles), so that containers and bundles a failing program leaves behind
// are found and removed, and nobody else's containers are touched.
//
// Locking: none; the runs share nothing but the read-only build tree and
// the result slots each worker owns.
package ocivalidation
