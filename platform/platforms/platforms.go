// Package platforms registers every platform with the platform registry:
// a blank import of it makes each one available to platform.Lookup under
// its --platform name, so runsc imports this package and no platform.
package platforms

import (
	// ptrace: application threads in stub processes under
	// PTRACE_SYSEMU.
	_ "github.com/cocoon-sandbox/cocoon/platform/ptrace"
)
