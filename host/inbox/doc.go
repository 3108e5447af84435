// Package inbox is the daemon's small web inbox for people's tasks: the
// list of open tasks and a form per task that completes it (or answers a
// question) through the same task service, with the same validation and
// the same rules of who may act, as `openoma-host task`.
//
// Security model:
//
//   - It listens on loopback only (config inbox.address) and answers only
//     requests whose Host is a loopback name, so a DNS-rebinding page
//     cannot reach it.
//   - It is reachable only with a secret that the daemon keeps in
//     <data_dir>/inbox.secret (mode 0600): `openoma-host inbox` prints
//     the URL with it. The first request with ?token=<secret> sets an
//     HttpOnly, SameSite=Strict session cookie and redirects to a URL
//     without the token. The secret identifies the daemon's owner: the
//     inbox acts as the OS user who runs the daemon (mapped to a person and
//     groups by tasks.people like any caller).
//   - Personal links (Tokens, `openoma-host inbox --for NAME`) sign in as
//     a person of tasks.people: the token file keeps only each token's
//     SHA-256, and a link's session cookie names the link (signed with the
//     secret) and is checked against the file at every request, so a
//     revoked or expired link is refused at once. The person comes from
//     the identity directory, like a socket caller's; every act records
//     it with the link's id. Failed sign-ins are logged and rate-limited.
//   - Every form carries a per-session CSRF token (an HMAC of the session
//     under the secret); a POST also needs a same-origin Origin and
//     Sec-Fetch-Site when the browser sends them.
//   - No script at all, and nothing from elsewhere: the Content Security
//     Policy is default-src 'none'; style-src 'self'; form-action 'self';
//     frame-ancestors 'none'; base-uri 'none'.
package inbox
