package schedule

import (
	"strings"
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// Which ticks fire when: on time, after a restart between ticks, after a
// host was down across several ticks (per catch-up policy), while paused
// and after a resume, and for cron expressions.
func TestPlan(t *testing.T) {
	daily := Spec{Name: "d", Flow: "F", Every: 24 * time.Hour, CatchUp: CatchUpSkip}
	created := at("2026-12-01T09:00:00Z")
	with := func(s Spec, c CatchUp) Spec { s.CatchUp = c; return s }
	tests := []struct {
		name     string
		spec     Spec
		state    State
		now      time.Time
		wantFire []string
		wantNext string
	}{
		{"before the first tick", daily, State{Created: created}, at("2026-12-01T20:00:00Z"), nil, "2026-12-02T09:00:00Z"},
		{"the first tick, on time", daily, State{Created: created}, at("2026-12-02T09:00:00Z"),
			[]string{"2026-12-02T09:00:00Z"}, "2026-12-03T09:00:00Z"},
		{"a restart a few seconds late still fires it", daily, State{Created: created}, at("2026-12-02T09:00:30Z"),
			[]string{"2026-12-02T09:00:00Z"}, "2026-12-03T09:00:00Z"},
		{"a tick already fired is not fired again", daily, State{Created: created, LastTick: at("2026-12-02T09:00:00Z")},
			at("2026-12-02T09:00:30Z"), nil, "2026-12-03T09:00:00Z"},
		{"skip: down for three days, nothing now", daily, State{Created: created}, at("2026-12-04T15:00:00Z"),
			nil, "2026-12-05T09:00:00Z"},
		{"one: down for three days, the latest", with(daily, CatchUpOne), State{Created: created}, at("2026-12-04T15:00:00Z"),
			[]string{"2026-12-04T09:00:00Z"}, "2026-12-05T09:00:00Z"},
		{"all: down for three days, every one", with(daily, CatchUpAll), State{Created: created}, at("2026-12-04T15:00:00Z"),
			[]string{"2026-12-02T09:00:00Z", "2026-12-03T09:00:00Z", "2026-12-04T09:00:00Z"}, "2026-12-05T09:00:00Z"},
		{"all: from the last tick fired", with(daily, CatchUpAll), State{Created: created, LastTick: at("2026-12-03T09:00:00Z")},
			at("2026-12-04T15:00:00Z"), []string{"2026-12-04T09:00:00Z"}, "2026-12-05T09:00:00Z"},
		{"paused fires nothing", with(daily, CatchUpAll), State{Created: created, Paused: true}, at("2026-12-04T15:00:00Z"),
			nil, "2026-12-05T09:00:00Z"},
		{"a resume does not catch up the pause", with(daily, CatchUpAll), State{Created: created, ResumedAt: at("2026-12-04T10:00:00Z")},
			at("2026-12-04T15:00:00Z"), nil, "2026-12-05T09:00:00Z"},
		{"deleted fires nothing and never looks again", with(daily, CatchUpAll), State{Created: created, Ended: true},
			at("2026-12-04T15:00:00Z"), nil, "0001-01-01T00:00:00Z"},
		{"cron: Mondays at nine", Spec{Cron: "0 9 * * MON", CatchUp: CatchUpSkip}, State{Created: created}, // a Tuesday
			at("2026-12-07T09:00:10Z"), []string{"2026-12-07T09:00:00Z"}, "2026-12-14T09:00:00Z"},
		{"cron in a time zone", Spec{Cron: "CRON_TZ=Europe/Paris 0 9 * * *", CatchUp: CatchUpSkip}, State{Created: created},
			at("2026-12-01T20:00:00Z"), nil, "2026-12-02T08:00:00Z"},
		{"every two weeks from creation", Spec{Every: 14 * 24 * time.Hour, CatchUp: CatchUpOne}, State{Created: created},
			at("2026-12-20T00:00:00Z"), []string{"2026-12-15T09:00:00Z"}, "2026-12-29T09:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fire, next := Plan(tt.spec, tt.state, tt.now)
			var got []string
			for _, f := range fire {
				got = append(got, f.UTC().Format(time.RFC3339))
			}
			if len(got) != len(tt.wantFire) {
				t.Fatalf("fire %v, want %v", got, tt.wantFire)
			}
			for i := range got {
				if got[i] != tt.wantFire[i] {
					t.Errorf("fire %v, want %v", got, tt.wantFire)
				}
			}
			if n := next.UTC().Format(time.RFC3339); n != tt.wantNext {
				t.Errorf("next %s, want %s", n, tt.wantNext)
			}
		})
	}
}

func TestSpecCheck(t *testing.T) {
	ok := Spec{Name: "sprint", Flow: "Sprint@1", Every: 14 * 24 * time.Hour, CatchUp: CatchUpSkip}
	if err := ok.Check(); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		edit func(*Spec)
		says string
	}{
		{func(s *Spec) { s.Name = "bad name" }, `name "bad name"`},
		{func(s *Spec) { s.Flow = "" }, "--flow"},
		{func(s *Spec) { s.Every = 0 }, "give --every"},
		{func(s *Spec) { s.Cron = "0 9 * * MON" }, "give one of them"},
		{func(s *Spec) { s.Every = time.Second }, "at least 1m"},
		{func(s *Spec) { s.Every, s.Cron = 0, "0 25 * * *" }, `--cron "0 25 * * *"`},
		{func(s *Spec) { s.CatchUp = "most" }, `--catch-up "most"`},
	} {
		s := ok
		tt.edit(&s)
		if err := s.Check(); err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("Check() = %v, want %q", err, tt.says)
		}
	}
	for in, want := range map[string]time.Duration{"14d": 14 * 24 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseEvery(in); err != nil || got != want {
			t.Errorf("ParseEvery(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"0d", "-1h", "soon"} {
		if _, err := ParseEvery(bad); err == nil {
			t.Errorf("ParseEvery(%q) accepted", bad)
		}
	}
}
