// Package identity is the one model of who is acting, shared by every
// transport that lets people in: the control socket (the kernel's
// SO_PEERCRED names the OS user), the web inbox (a personal link) and the
// network control API (a bearer token from control.tokens, see Tokens).
//
// A transport proves a credential — an OS user, a link's token, an API
// token — and asks a Directory (or, for API tokens, Tokens) who that is:
// the person tasks.people maps the OS user to (or a person named after the
// login; the person an API token is issued to), with that person's groups
// and whether they are an admin (tasks.admins). The result, a Caller, is what
// the domain packages (tasks, the engine's cancel) receive and record: they
// never see a transport's types. ActAs is the one rule for acting on
// someone else's behalf: only an admin may, and the act records both.
//
// The package also answers OS group membership (primary and supplementary
// groups, through os/user), which the control socket uses to decide who
// may connect at all.
package identity
