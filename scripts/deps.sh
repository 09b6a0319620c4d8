#!/usr/bin/env bash
# deps.sh installs what Cocoon needs to build and test on Debian 12, as
# root (or through sudo). Idempotent: packages already installed are not
# touched, and apt-get runs only when something is missing.
#
#   gcc, libc6-dev  compile the C syscall tests and benchmarks
#   make, git       the build
#   busybox-static  the e2e tests' and the demo's program, and bundle rootfs
#   runc            `make bench` compares `runsc run` with `runc run`
#   python3         test/runtimes: threads, asyncio, multiprocessing (/usr/bin/python3)
#   nodejs          test/runtimes: worker_threads, SharedArrayBuffer, timers
#   openjdk-17-jdk-headless  test/runtimes: javac and a threaded JVM program
#   strace          test/runtimes: strace -f of a pipeline inside the sandbox
#   gdb             test/runtimes: a backtrace of a crashing program inside the sandbox
#   xz-utils        test/runtimes: multi-threaded xz -T2
#   (git and coreutils are above: test/runtimes also runs git and sort --parallel)
#   golang-go       only if no Go >= 1.21 is installed (see below)
set -euo pipefail

packages=(gcc libc6-dev make git ca-certificates busybox-static runc coreutils procps
	python3 nodejs openjdk-17-jdk-headless strace gdb xz-utils)

sudo=()
if [[ $(id -u) -ne 0 ]]; then
	if command -v sudo >/dev/null; then
		sudo=(sudo)
	else
		echo "deps: must run as root (or with sudo available)" >&2
		exit 1
	fi
fi

export PATH="/usr/local/go/bin:$PATH"

# go_ok: a Go new enough to switch toolchains (GOTOOLCHAIN, Go >= 1.21).
go_ok() {
	command -v go >/dev/null || return 1
	local v
	v=$(go env GOVERSION 2>/dev/null) || return 1 # e.g. go1.26.8
	v=${v#go}
	local major=${v%%.*} rest=${v#*.}
	local minor=${rest%%.*}
	((major > 1 || (major == 1 && minor >= 21)))
}

if ! go_ok; then
	packages+=(golang-go)
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} > 0)); then
	echo "deps: installing ${missing[*]}"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "deps: all packages present"
fi

# Debian 12's golang-go is Go 1.19, too old to read this module's go.mod or
# to fetch a newer toolchain itself. Fetch the toolchain go.mod asks for as
# a module through the Go module proxy (this is what GOTOOLCHAIN=auto
# does) and install it as /usr/local/go.
if ! go_ok; then
	root=$(cd "$(dirname "$0")/.." && pwd)
	want=$(sed -n 's/^toolchain go//p' "$root/go.mod")
	[[ -n $want ]] || want=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$root/go.mod")
	mod="golang.org/toolchain@v0.0.1-go${want}.linux-amd64"
	echo "deps: fetching Go $want ($mod) through the module proxy"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	dir=$(cd "$tmp" && GO111MODULE=on GOFLAGS=-mod=mod GOPATH="$tmp/gopath" /usr/bin/go mod download -json "$mod" |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[[ -d $dir ]] || {
		echo "deps: could not download $mod" >&2
		exit 1
	}
	"${sudo[@]}" rm -rf /usr/local/go
	"${sudo[@]}" cp -a "$dir" /usr/local/go
	"${sudo[@]}" chmod -R u+w /usr/local/go
	# Module zips do not keep executable bits (cmd/go restores them too).
	"${sudo[@]}" chmod +x /usr/local/go/bin/* /usr/local/go/pkg/tool/*/*
	chmod -R u+w "$tmp" # the module cache is read-only
	echo "deps: installed $(/usr/local/go/bin/go version) in /usr/local/go"
fi
go_ok && echo "deps: $(go version)"
