package schedule

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// CatchUp says what to do with ticks missed while no host ran.
type CatchUp string

// The catch-up policies.
const (
	CatchUpSkip CatchUp = "skip" // fire none of them; wait for the next tick
	CatchUpOne  CatchUp = "one"  // fire the latest missed tick once
	CatchUpAll  CatchUp = "all"  // fire every missed tick, oldest first
)

// MaxCatchUp bounds how many missed ticks CatchUpAll fires at once.
const MaxCatchUp = 1000

// Spec is what a schedule runs and when.
type Spec struct {
	Name string `json:"name"`
	// Flow is the flow to run, as people write it (name@version).
	Flow string `json:"flow"`
	// Every is the interval between ticks, counted from the schedule's
	// creation; exactly one of Every and Cron is set.
	Every time.Duration `json:"every_ns,omitempty"`
	// Cron is a five-field cron expression ("0 9 * * MON"), in UTC unless
	// it starts with CRON_TZ=<zone>.
	Cron    string         `json:"cron,omitempty"`
	Inputs  map[string]any `json:"inputs,omitempty"`
	CatchUp CatchUp        `json:"catch_up"`
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// Check reports every problem of s, each naming its field.
func (s Spec) Check() error {
	var errs []error
	if !namePattern.MatchString(s.Name) {
		errs = append(errs, fmt.Errorf("name %q: want letters, digits, '.', '_' or '-', at most 100", s.Name))
	}
	if strings.TrimSpace(s.Flow) == "" {
		errs = append(errs, errors.New("--flow: the flow to run is needed"))
	}
	switch {
	case s.Every == 0 && s.Cron == "":
		errs = append(errs, errors.New("give --every (e.g. 14d, 12h) or --cron (e.g. \"0 9 * * MON\")"))
	case s.Every != 0 && s.Cron != "":
		errs = append(errs, errors.New("--every and --cron: give one of them"))
	case s.Every != 0 && s.Every < time.Minute:
		errs = append(errs, fmt.Errorf("--every %s: at least 1m", s.Every))
	case s.Cron != "":
		if _, err := parseCron(s.Cron); err != nil {
			errs = append(errs, fmt.Errorf("--cron %q: %w", s.Cron, err))
		}
	}
	switch s.CatchUp {
	case CatchUpSkip, CatchUpOne, CatchUpAll:
	default:
		errs = append(errs, fmt.Errorf("--catch-up %q: want skip, one or all", s.CatchUp))
	}
	return errors.Join(errs...)
}

func parseCron(expr string) (cron.Schedule, error) {
	if !strings.HasPrefix(expr, "CRON_TZ=") && !strings.HasPrefix(expr, "TZ=") {
		expr = "CRON_TZ=UTC " + expr
	}
	return cron.ParseStandard(expr)
}

// next is the first tick strictly after t; origin is when the schedule
// was created (the phase of an interval).
func (s Spec) next(origin, t time.Time) time.Time {
	if s.Every > 0 {
		if t.Before(origin) {
			return origin.Add(s.Every)
		}
		n := t.Sub(origin)/s.Every + 1
		return origin.Add(n * s.Every)
	}
	c, err := parseCron(s.Cron)
	if err != nil {
		return time.Time{} // Check refuses it before it is stored
	}
	return c.Next(t)
}

// ParseEvery reads an interval: a Go duration (90m, 12h) or days (14d).
func ParseEvery(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("--every %q: want a positive number of days or a duration (12h)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--every %q: want a duration (90m, 12h) or days (14d)", s)
	}
	return d, nil
}
