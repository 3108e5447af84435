package main

import (
	"strings"
	"testing"
	"time"

	"github.com/openoma/openoma/execution"
)

func TestRecentFilter(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		state, flow, since string
		limit              int
		wantState          execution.State
		wantSince          time.Time
		err                string
	}{
		{state: "failed", wantState: execution.StateFailed},
		{state: "in-progress", wantState: execution.StateInProgress},
		{state: "IN_PROGRESS", wantState: execution.StateInProgress},
		{state: "skipped", err: `--state "skipped"`},
		{state: "done", err: "want pending, in_progress"},
		{since: "90m", wantSince: now.Add(-90 * time.Minute)},
		{since: "7d", wantSince: now.AddDate(0, 0, -7)},
		{since: "2026-11-30T08:00:00Z", wantSince: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)},
		{since: "yesterday", err: `--since "yesterday"`},
		{since: "-5m", err: "want a duration"},
		{limit: -1, err: "--limit -1"},
	}
	for _, tt := range tests {
		f, err := recentFilter(tt.state, tt.flow, tt.since, tt.limit, now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("recentFilter(%q, %q, %d) = %v, want error %q", tt.state, tt.since, tt.limit, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("recentFilter(%q, %q): %v", tt.state, tt.since, err)
			continue
		}
		if f.State != tt.wantState || !f.Since.Equal(tt.wantSince) {
			t.Errorf("recentFilter(%q, %q) = %+v, want state %q since %v", tt.state, tt.since, f, tt.wantState, tt.wantSince)
		}
	}
	// A date alone is midnight, local time.
	f, err := recentFilter("", "", "2026-11-30", 0, now)
	if err != nil || !f.Since.Equal(time.Date(2026, 11, 30, 0, 0, 0, 0, time.Local)) {
		t.Errorf("since a date: %+v, %v", f, err)
	}
}
