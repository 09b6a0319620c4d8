//go:build race

package filter

// raceEnabled: the race detector's runtime makes host calls of its own
// (its background thread, shadow memory) that runsc, never built with
// -race, does not make under the sentry's filter.
const raceEnabled = true
