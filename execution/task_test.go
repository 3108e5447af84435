package execution

import (
	"slices"
	"testing"
	"time"
)

func TestParseDue(t *testing.T) {
	created := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in      any
		want    time.Time
		wantErr bool
	}{
		{"48h", created.Add(48 * time.Hour), false},
		{" 3d ", created.Add(72 * time.Hour), false},
		{"2026-02-01T09:00:00+01:00", time.Date(2026, 2, 1, 8, 0, 0, 0, time.UTC), false},
		{"-1h", time.Time{}, true},
		{"0d", time.Time{}, true},
		{"soon", time.Time{}, true},
		{42, time.Time{}, true},
	}
	for _, tt := range tests {
		got, err := ParseDue(tt.in, created)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseDue(%v) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseDue(%v) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseGroups(t *testing.T) {
	tests := []struct {
		in      any
		want    []string
		wantErr bool
	}{
		{"reviewers, sre", []string{"reviewers", "sre"}, false},
		{[]any{"a", " b "}, []string{"a", "b"}, false},
		{[]string{"x"}, []string{"x"}, false},
		{" , ", nil, true},
		{[]any{"a", 1}, nil, true},
		{3, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseGroups(tt.in)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("ParseGroups(%v) = %v, %v; want %v (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
