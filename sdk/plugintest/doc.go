// Package plugintest lets an adapter author test an adapter the way the
// host will run it: through the real gRPC shims of the sdk (go-plugin's
// in-process connection), against a host event store the test can
// inspect.
//
// Harness drives one adapter by hand:
//
//	h := plugintest.New(t, myadapter.New(), plugintest.Options{})
//	b, err := h.Run(ctx, block, map[string]any{"message": "hi"})
//	// b.State, b.Outputs(), b.Events …
//
// Run is the conformance suite every adapter must pass — valid lifecycles,
// the given execution id, resume and cancel semantics, bad inputs that end
// with a reason instead of a crash:
//
//	func TestConformance(t *testing.T) {
//		plugintest.Run(t, func(testing.TB) sdk.Adapter { return myadapter.New() }, plugintest.Config{
//			Block:   block,
//			Succeed: map[string]any{"message": "hi"},
//			Fail:    map[string]any{"message": "hi", "fail": true},
//		})
//	}
//
// BrokeredStore returns a plugin's view of a host store, the store every
// adapter writes through; it passes store/storetest like any other store.
package plugintest
