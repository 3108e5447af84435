package main

import (
	"bytes"
	"testing"
)

// logs prints what a person reads in a terminal, whatever the plugin sent.
func TestWriteProgressLines(t *testing.T) {
	tests := []struct {
		name, prefix, payload, want string
	}{
		{"shell stderr batch", "", `{"type":"stderr","lines":["a","b"]}`, "a\nb\n"},
		{"dropped lines are counted", "", `{"type":"stderr","lines":["a"],"dropped":3}`, "a\n[3 lines dropped]\n"},
		{"agent text", "review | ", `{"of":3,"text":"thinking…\n"}`, "review | thinking…\n"},
		{"no text: type and the rest", "", `{"type":"command_started","pid":42}`, "[command_started] {\"pid\":42}\n"},
		{"untyped", "", `{"pct":50}`, "[progress] {\"pct\":50}\n"},
		{"not an object", "", `"plain"`, "\"plain\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := writeProgressLines(&b, tt.prefix, []byte(tt.payload)); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
}
