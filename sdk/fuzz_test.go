package sdk

import (
	"errors"
	"testing"

	"github.com/openoma/openoma/pluginproto"
	"github.com/openoma/openoma/store"
)

// FuzzDecodeExecuteRequest feeds arbitrary request fields to the plugin
// side's decoder: it must refuse what it cannot decode with
// ErrMalformedRequest and never panic.
func FuzzDecodeExecuteRequest(f *testing.F) {
	f.Add("3f9b2a9e-4a43-4c1e-9a55-2b8f3f4c1a10", "", []byte(`{"id":"3f9b2a9e-4a43-4c1e-9a55-2b8f3f4c1a10","version":1,"name":"b","description":"","inputs":[],"outputs":[],"execution_hints":[],"metadata":{}}`), []byte(`{"id":"3f9b2a9e-4a43-4c1e-9a55-2b8f3f4c1a11","target_id":"3f9b2a9e-4a43-4c1e-9a55-2b8f3f4c1a10","target_version":1,"alias":null,"metadata":{}}`), []byte(`{"message":"hi"}`))
	f.Add("not-a-uuid", "x", []byte(`{`), []byte(`null`), []byte(`[1]`))
	f.Add("", "", []byte(nil), []byte(nil), []byte(nil))
	s := &adapterServer{stores: newStoreConns(nil)}
	f.Fuzz(func(t *testing.T, id, flow string, block, node, inputs []byte) {
		_, err := s.decodeExecute(&pluginproto.ExecuteBlockRequest{
			ExecutionId: id, FlowExecutionId: flow, Block: block, Node: node, Inputs: inputs,
		})
		// No store broker id was sent, so even a valid request is refused;
		// every refusal must say the request was malformed.
		if !errors.Is(err, ErrMalformedRequest) {
			t.Fatalf("decode refused with %v, want ErrMalformedRequest", err)
		}
	})
}

// FuzzDecodeEvent feeds arbitrary wire events to the decoder the plugin's
// store client and the host's store server share.
func FuzzDecodeEvent(f *testing.F) {
	f.Add("3f9b2a9e-4a43-4c1e-9a55-2b8f3f4c1a10", "progress", []byte(`{"type":"system","identifier":"x","metadata":{}}`), []byte(`{"pct":5}`), []byte(`{"k":"v"}`))
	f.Add("bad", "", []byte(`{`), []byte(`not json`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, id, typ string, executor, payload, metadata []byte) {
		ev, err := decodeEvent(&pluginproto.Event{Id: id, ExecutionId: id, EventType: typ, Executor: executor, Payload: payload, Metadata: metadata})
		if err != nil {
			if !errors.Is(err, store.ErrInvalid) {
				t.Fatalf("decode refused with %v, want store.ErrInvalid", err)
			}
			return
		}
		// Whatever decodes re-encodes, payload byte for byte.
		p, err := encodeEvent(&ev)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if string(p.GetPayload()) != string(payload) {
			t.Fatalf("payload %q came back as %q", payload, p.GetPayload())
		}
	})
}
