//go:build race

package main

// raceDetector: the tests run under -race, where this side of a 64 MiB
// value's trip through JSON and gRPC takes most of a minute.
const raceDetector = true
