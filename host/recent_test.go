package host

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openoma/openoma/execution"
	"github.com/openoma/openoma/host/control"
)

// Ids are accepted as people copy them from events and status: whole, or
// a unique prefix of at least four hex digits, dashes optional.
func TestResolveID(t *testing.T) {
	h := openTestHost(t)
	ids := []uuid.UUID{
		uuid.MustParse("abcd1234-0000-4000-8000-000000000001"),
		uuid.MustParse("abcd5678-0000-4000-8000-000000000002"),
		uuid.MustParse("0f95cc41-1111-4000-8000-000000000003"),
	}
	for _, id := range ids {
		appendEv(t, h.store, id, execution.EventCreated, execution.Created{Kind: execution.KindFlow})
	}
	tests := []struct {
		in      string
		want    uuid.UUID
		wantErr error
		says    string
	}{
		{in: ids[0].String(), want: ids[0]},
		{in: "0f95cc41", want: ids[2]},
		{in: "0F95", want: ids[2]},
		{in: "abcd1", want: ids[0]},
		{in: "abcd12340000", want: ids[0]}, // past the first dash, without it
		{in: "abcd1234-0000", want: ids[0]},
		{in: "abcd", wantErr: control.ErrInvalid, says: "ambiguous"},
		{in: "abc", wantErr: control.ErrInvalid, says: "at least 4 hex digits"},
		{in: "zzzzzz", wantErr: control.ErrInvalid, says: "at least 4 hex digits"},
		{in: "ffff", wantErr: control.ErrNotFound, says: "no execution ffff"},
		{in: uuid.NewString(), want: uuid.Nil}, // a full id is taken as is; Report says whether it exists
	}
	for _, tt := range tests {
		got, err := h.ResolveID(context.Background(), tt.in)
		switch {
		case tt.wantErr != nil:
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("ResolveID(%q) = %v, %v; want %v saying %q", tt.in, got, err, tt.wantErr, tt.says)
			}
		case err != nil:
			t.Errorf("ResolveID(%q): %v", tt.in, err)
		case tt.want != uuid.Nil && got != tt.want:
			t.Errorf("ResolveID(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
