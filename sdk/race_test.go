//go:build race

package sdk_test

// raceDetector: the tests run under -race, where moving 64 MiB through
// JSON and gRPC takes most of a minute.
const raceDetector = true
