package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/host/inbox"
)

// defaultLinkTTL is how long a personal link admits without --ttl.
const defaultLinkTTL = 30 * 24 * time.Hour

// issueLink prints a personal inbox link for the person named.
func (g *globals) issueLink(cfg *config.Config, person, ttlText string) error {
	if err := mayIssueLinks(cfg); err != nil {
		return err
	}
	ttl, err := parseTTL(ttlText)
	if err != nil {
		return err
	}
	if _, err := identity.NewDirectory(cfg.Tasks).Person(person, identity.ViaInboxLink, ""); err != nil {
		return ofKind(fmt.Errorf("inbox --for %s: %w", person, err), control.ErrNotFound)
	}
	base, err := inbox.ServedURL(cfg.DataDir)
	if err != nil {
		return err
	}
	t, token, err := inbox.OpenTokens(cfg.DataDir).Issue(person, ttl, time.Now())
	if err != nil {
		return err
	}
	url := base + "?token=" + token
	if g.json {
		return g.printJSON(map[string]any{"url": url, "id": t.ID, "person": t.Person, "expires_at": t.Expires})
	}
	fmt.Fprintln(g.stdout, url)
	fmt.Fprintf(g.stderr, "link %s signs in as %s until %s; revoke it with: openoma-host inbox revoke %s\n",
		t.ID, t.Person, t.Expires.Local().Format(time.DateTime), t.ID)
	return nil
}

// mayIssueLinks: personal links are issued by an admin — the daemon's
// owner (who can write the data directory) or root. Someone else could
// only have reached this through the socket group, and the data directory
// stays closed to them.
func mayIssueLinks(cfg *config.Config) error {
	st, err := os.Stat(cfg.DataDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // nothing issued yet, and whoever creates it owns it
	}
	if err != nil {
		return fmt.Errorf("inbox links: data_dir %s: %w", cfg.DataDir, err)
	}
	owner := -1
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		owner = int(sys.Uid)
	}
	if me := os.Geteuid(); me != 0 && me != owner {
		who := identity.LookupOSUser(owner, 0, 0).Login
		return fmt.Errorf("%w: only an admin may manage inbox links: the daemon's owner %s (or root); ask them to run `openoma-host inbox --for NAME`",
			control.ErrDenied, who)
	}
	return nil
}

// parseTTL reads a duration with days: 30d, 12h, 90m.
func parseTTL(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, ofKind(fmt.Errorf("--ttl %q: want a positive duration such as 30d, 12h or 90m", s), control.ErrInvalid)
	}
	return d, nil
}

func newInboxTokensCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tokens",
		Short: "List the personal inbox links: id, person, state, expiry",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if err := mayIssueLinks(cfg); err != nil {
				return err
			}
			list, err := inbox.OpenTokens(cfg.DataDir).List()
			if err != nil {
				return err
			}
			now := time.Now()
			if g.json {
				type row struct {
					inbox.Token
					State string `json:"state"`
					Hash  string `json:"sha256,omitempty"`
				}
				rows := make([]row, 0, len(list))
				for _, t := range list {
					rows = append(rows, row{Token: t, State: t.State(now)})
				}
				return g.printJSON(rows)
			}
			if len(list) == 0 {
				fmt.Fprintln(g.stdout, "no inbox links issued")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tPERSON\tSTATE\tCREATED\tEXPIRES")
			for _, t := range list {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Person, t.State(now),
					t.Created.Local().Format(time.DateTime), t.Expires.Local().Format(time.DateTime))
			}
			return tw.Flush()
		},
	}
}

func newInboxRevokeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke NAME|LINK_ID",
		Short: "Revoke a personal inbox link, or every link of a person: refused at once, open sessions too",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if err := mayIssueLinks(cfg); err != nil {
				return err
			}
			revoked, err := inbox.OpenTokens(cfg.DataDir).Revoke(args[0], time.Now())
			if err != nil {
				return ofKind(err, control.ErrNotFound)
			}
			if g.json {
				return g.printJSON(revoked)
			}
			for _, t := range revoked {
				fmt.Fprintf(g.stdout, "revoked %s (%s)\n", t.ID, t.Person)
			}
			return nil
		},
	}
}

// kindError is an error with its own text that also matches a kind (for
// the exit status and --json's code) without repeating the kind's text.
type kindError struct{ err, kind error }

func (e kindError) Error() string   { return e.err.Error() }
func (e kindError) Unwrap() []error { return []error{e.err, e.kind} }

func ofKind(err, kind error) error { return kindError{err, kind} }
