package sdk

// MaxMessageBytes bounds one gRPC message between the host and a plugin,
// in both directions and on both ends of the connection (the adapter
// service and the brokered event store). Inputs and outputs of up to
// 64 MiB travel end to end; the extra 16 MiB leave room for the event
// envelope, JSON quoting and escaping of the payload, and a batch of
// lifecycle events appended together with an outcome. gRPC's default
// of 4 MiB would refuse such a value with a raw "received message larger
// than max" error.
const MaxMessageBytes = 64<<20 + 16<<20
