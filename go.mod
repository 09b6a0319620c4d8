module github.com/cocoon-sandbox/cocoon

go 1.26.8

require (
	github.com/google/subcommands v1.2.0
	github.com/opencontainers/runtime-spec v1.3.0
	golang.org/x/sys v0.49.0
)
