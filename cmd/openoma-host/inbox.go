package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"
	"github.com/spf13/cobra"

	"github.com/openoma/openoma/host"
	"github.com/openoma/openoma/host/config"
	"github.com/openoma/openoma/host/console"
	"github.com/openoma/openoma/host/control"
	"github.com/openoma/openoma/host/identity"
	"github.com/openoma/openoma/host/inbox"
)

func newInboxCommand(g *globals) *cobra.Command {
	var forPerson, ttl string
	cmd := &cobra.Command{
		Use:   "inbox",
		Short: "Print the link that opens the daemon's web inbox (yours, or a person's with --for)",
		Long: `inbox prints the URL of the web inbox that "serve" runs when inbox.address is
set, with the secret that admits you (read from <data_dir>/inbox.secret,
which only the daemon's owner can read): that link acts as the daemon's OS
user.

With --for NAME it issues a personal link instead: it signs in as that
person (from tasks.people) until --ttl has passed or it is revoked
("inbox revoke"); "inbox tokens" lists the links. Only an admin — the
daemon's owner, or root — issues links; the data directory keeps only each
token's hash. Open links in a browser on this machine; see
docs/human-work.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			if forPerson != "" {
				return g.issueLink(cfg, forPerson, ttl)
			}
			if cmd.Flags().Changed("ttl") {
				return ofKind(errors.New("--ttl goes with --for NAME (the owner's own link does not expire)"), control.ErrInvalid)
			}
			url, err := inbox.LoginURL(cfg.DataDir)
			if err != nil {
				return err
			}
			if g.json {
				return g.printJSON(map[string]string{"url": url})
			}
			fmt.Fprintln(g.stdout, url)
			return nil
		},
	}
	cmd.Flags().StringVar(&forPerson, "for", "", "issue a personal link that signs in as this person (tasks.people name)")
	cmd.Flags().StringVar(&ttl, "ttl", "30d", "how long a personal link admits: 30d, 12h, 90m")
	cmd.AddCommand(newInboxTokensCommand(g), newInboxRevokeCommand(g))
	return cmd
}

// serveInbox starts the web inbox of the daemon; the returned func stops
// it and removes its published address.
func serveInbox(ctx context.Context, cfg *config.Config, h *host.Host, log hclog.Logger) (func(), error) {
	secret, err := inbox.EnsureSecret(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	l, err := inbox.Listen(cfg.Inbox.Address)
	if err != nil {
		return nil, err
	}
	owner := h.Tasks().People().OSUser(identity.LookupOSUser(os.Geteuid(), os.Getegid(), os.Getpid()))
	cons, err := console.New(ctx, console.Options{Source: h.ConsoleSource(), Catalog: h.Catalog(), Logger: log.Named("console")})
	if err != nil {
		l.Close()
		return nil, err
	}
	srv := inbox.New(inbox.Options{Tasks: h.Tasks(), Secret: secret, Owner: owner, Logger: log.Named("inbox"), Console: cons,
		Tokens: inbox.OpenTokens(cfg.DataDir)})
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := inbox.Serve(ctx, l, srv); err != nil {
			log.Error("inbox", "error", err)
		}
	}()
	if err := inbox.PublishAddress(cfg.DataDir, l.Addr()); err != nil {
		cancel()
		<-done
		cons.Close()
		return nil, err
	}
	log.Info("inbox", "address", "http://"+l.Addr().String()+"/", "open", "openoma-host inbox prints the link")
	return func() {
		inbox.Unpublish(cfg.DataDir)
		cancel()
		<-done
		cons.Close()
	}, nil
}
