package api

import (
	"container/list"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wasmflow/wasmflow/app"
)

// Role is one of Airflow's roles; each may do what the ones before it may.
type Role int

// The roles, lowest first. Public needs no credentials at all.
const (
	Public Role = iota
	Viewer
	User
	Op
	Admin
)

var roleNames = map[Role]string{Public: "Public", Viewer: "Viewer", User: "User", Op: "Op", Admin: "Admin"}

func (r Role) String() string { return roleNames[r] }

func parseRole(s string) Role {
	for r, n := range roleNames {
		if strings.EqualFold(n, s) && r != Public {
			return r
		}
	}
	return Public
}

// principal is who made a request, and how.
type principal struct {
	Username string
	Role     Role
	Session  string // the session cookie's value, when the request came with one
}

func (p principal) actor() app.Actor { return app.Actor(p.Username) }

const (
	sessionCookie = "wasmflow_session"
	sessionTTL    = 7 * 24 * time.Hour
	// DefaultTokenTTL is how long `wasmflow users token` tokens last unless told otherwise.
	DefaultTokenTTL = 90 * 24 * time.Hour
	tokenPrefix     = "wf1."
	secretFile      = "api.secret"
)

// LoadSecret returns the key that signs this home's sessions and tokens, created on first use
// as <home>/api.secret (mode 0600). Deleting the file logs everyone out and voids every token.
func LoadSecret(home string) ([]byte, error) {
	path := filepath.Join(home, secretFile)
	if b, err := os.ReadFile(path); err == nil {
		if key, err := hex.DecodeString(strings.TrimSpace(string(b))); err == nil && len(key) >= 32 {
			return key, nil
		}
		return nil, fmt.Errorf("%s is not a 64-digit hex key: delete it to make a new one (this logs everyone out)", path)
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("save the API signing key: %w", err)
	}
	return key, nil
}

// signer makes and checks the signed values of sessions, CSRF tokens and API tokens.
type signer struct{ key []byte }

func (s signer) mac(purpose, payload string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(purpose + "\n" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// seal returns payload and its signature for purpose, as "payload.signature" (base64url).
func (s signer) seal(purpose string, fields ...string) string {
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	payload := base64.RawURLEncoding.EncodeToString([]byte(strings.Join(append(fields, hex.EncodeToString(nonce)), "\n")))
	return payload + "." + s.mac(purpose, payload)
}

// open checks a sealed value and returns its fields (without the nonce) if it is intact.
func (s signer) open(purpose, v string) ([]string, bool) {
	payload, sig, ok := strings.Cut(v, ".")
	if !ok || subtle.ConstantTimeCompare([]byte(sig), []byte(s.mac(purpose, payload))) != 1 {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, false
	}
	f := strings.Split(string(b), "\n")
	return f[:len(f)-1], len(f) > 1
}

// check opens a sealed session or token ("username", "expiry"[, "issued at"]) and answers
// the user name and when it was issued (Unix ms; 0 for values sealed before the field
// existed), if it is intact and not expired.
func (s signer) check(purpose, v string, now time.Time) (string, int64, bool) {
	f, ok := s.open(purpose, v)
	if !ok || len(f) < 2 || len(f) > 3 {
		return "", 0, false
	}
	exp, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || now.Unix() > exp {
		return "", 0, false
	}
	var issued int64
	if len(f) == 3 {
		if issued, err = strconv.ParseInt(f[2], 10, 64); err != nil {
			return "", 0, false
		}
	}
	return f[0], issued, true
}

// sealUser seals a session or token for username, valid until exp. It carries when it was
// issued, so that it does not open the account of a user created later with the same name.
func (s signer) sealUser(purpose, username string, exp, now time.Time) string {
	return s.seal(purpose, username, strconv.FormatInt(exp.Unix(), 10), strconv.FormatInt(now.UnixMilli(), 10))
}

func (s signer) csrf(session string) string { return s.mac("csrf", session) }

// IssueToken returns a bearer token for username, valid for ttl, signed with this home's key.
func IssueToken(home, username string, ttl time.Duration) (string, time.Time, error) {
	key, err := LoadSecret(home)
	if err != nil {
		return "", time.Time{}, err
	}
	now := time.Now()
	exp := now.Add(ttl)
	return tokenPrefix + signer{key}.sealUser("token", username, exp, now), exp, nil
}

// throttle counts failed logins per client address and user name: maxFails in a row lock that
// pair out for failWindow, and each failure after the lockout doubles it, up to maxLockout, so
// passwords cannot be guessed at speed. A stranger's failures lock out the stranger's own
// address, never the user logging in from elsewhere. A pair quiet for a window after its
// lockout is forgotten, as is one whose login succeeds.
//
// It remembers at most limit pairs, so a stream of distinct names (each costs the stranger
// one request) cannot grow it without end: pairs whose lockout and window have passed are
// dropped first, then the pairs that failed longest ago. Flooding it to push a pair out takes
// limit failed logins, each paying a bcrypt check, inside that pair's lockout.
type throttle struct {
	mu    sync.Mutex
	pairs map[throttleKey]*list.Element // of *failures, in order
	order *list.List                    // *failures by their last failure, oldest first
	limit int
}

// throttleKey is who failed: the client's address and the user name tried.
type throttleKey struct{ client, name string }

// failures are one pair's failed logins in a row, and when the last one was.
type failures struct {
	key   throttleKey
	count int
	last  time.Time
}

const (
	maxFails   = 5
	failWindow = time.Minute
	maxLockout = time.Hour
	// throttleNames bounds the throttle: 10,000 pairs of at most 255 bytes each, a few MB at worst.
	throttleNames = 10_000
)

func newThrottle() throttle {
	return throttle{pairs: map[throttleKey]*list.Element{}, order: list.New(), limit: throttleNames}
}

// lockout is how long count failures in a row lock a pair out after the last of them.
func lockout(count int) time.Duration {
	if count < maxFails {
		return 0
	}
	d := failWindow
	for i := maxFails; i < count && d < maxLockout; i++ {
		d *= 2
	}
	return min(d, maxLockout)
}

// until is when the pair's lockout ends.
func (f *failures) until() time.Time { return f.last.Add(lockout(f.count)) }

// blocked reports how long name is locked out from client, 0 if it is not.
func (t *throttle) blocked(client, name string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.prune(now)
	el, ok := t.pairs[throttleKey{client, name}]
	if !ok {
		return 0
	}
	return max(0, el.Value.(*failures).until().Sub(now))
}

func (t *throttle) fail(client, name string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.prune(now)
	k := throttleKey{client, name}
	if el, ok := t.pairs[k]; ok {
		f := el.Value.(*failures)
		f.count, f.last = f.count+1, now
		t.order.MoveToBack(el)
		return
	}
	for t.order.Len() > 0 && t.order.Len() >= t.limit {
		t.remove(t.order.Front())
	}
	t.pairs[k] = t.order.PushBack(&failures{key: k, count: 1, last: now})
}

func (t *throttle) succeed(client, name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if el, ok := t.pairs[throttleKey{client, name}]; ok {
		t.remove(el)
	}
}

func (t *throttle) size() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pairs)
}

// prune drops the pairs quiet for a window since their lockout ended: they lock nothing any
// more. The order is by last failure, so it stops at the first pair still remembered (one
// locked out longer may keep a few newer ones a while: the cap still holds). t.mu is held.
func (t *throttle) prune(now time.Time) {
	for el := t.order.Front(); el != nil; el = t.order.Front() {
		if now.Sub(el.Value.(*failures).until()) <= failWindow {
			return
		}
		t.remove(el)
	}
}

func (t *throttle) remove(el *list.Element) {
	delete(t.pairs, el.Value.(*failures).key)
	t.order.Remove(el)
}

// Bounds of credentials, checked before anything else is done with them: no user can have a
// longer name (CreateUser refuses one), nor a longer password (bcrypt reads 72 bytes).
const (
	maxUsernameBytes = app.MaxUsernameBytes
	maxPasswordBytes = 4 << 10
	// maxAuthHeader fits "Basic " and the base64 of the longest name and password.
	maxAuthHeader = 8 << 10
	// maxLoginBody fits the login's JSON with the longest name and password, escaped.
	maxLoginBody = 64 << 10
)

// checkCredentialSize refuses a user name or password longer than any account's, with 400:
// it is a malformed request, not a wrong guess, so it is neither looked up nor throttled.
func checkCredentialSize(username, password string) error {
	if len(username) > maxUsernameBytes {
		return badRequest("the user name is %d bytes long; user names have at most %d bytes", len(username), maxUsernameBytes)
	}
	if len(password) > maxPasswordBytes {
		return badRequest("the password is %d bytes long; passwords have at most %d bytes", len(password), maxPasswordBytes)
	}
	return nil
}

// logName is a user name as the log shows it: the first 64 bytes, and the length when it is
// longer, so a stranger's name cannot fill the log.
func logName(name string) string {
	const keep = 64
	if len(name) <= keep {
		return name
	}
	cut := keep
	for cut > 0 && !utf8.RuneStart(name[cut]) {
		cut--
	}
	return fmt.Sprintf("%s…(%d bytes)", name[:cut], len(name))
}

var errThrottled = errors.New("too many failed logins")

// login checks a user name and password sent from client, with throttling.
func (s *Server) login(ctx context.Context, client, username, password string) (principal, error) {
	if err := checkCredentialSize(username, password); err != nil {
		return principal{}, err
	}
	now := time.Now()
	if wait := s.throttle.blocked(client, username, now); wait > 0 {
		return principal{}, &throttledError{wait}
	}
	u, ok := s.app.CheckPassword(ctx, username, password)
	if !ok {
		s.throttle.fail(client, username, now)
		return principal{}, errBadLogin
	}
	s.throttle.succeed(client, username)
	return principal{Username: u.Username, Role: parseRole(u.Roles[0].Name)}, nil
}

// clientAddr is the address a request came from, for the login throttle: the connection's,
// without its port. X-Forwarded-For is believed only with api.trust_forwarded_for, set when a
// proxy in front of wasmflow adds it; the last address is the one that proxy saw (a client can
// put any before it).
func (s *Server) clientAddr(r *http.Request) string {
	if s.app.Config.API.TrustForwardedFor {
		if h := r.Header.Values("X-Forwarded-For"); len(h) > 0 {
			list := strings.Split(h[len(h)-1], ",")
			if last := strings.TrimSpace(list[len(list)-1]); last != "" {
				return last
			}
		}
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

type throttledError struct{ wait time.Duration }

func (e *throttledError) Error() string {
	return fmt.Sprintf("%v for this user from this address: try again in %d s", errThrottled, int(e.wait.Seconds())+1)
}

var errBadLogin = errors.New("wrong user name or password")

// authenticate finds who made r: a session cookie, a bearer token, or basic auth. A user
// deleted or deactivated since loses access at once: the role is read on every request.
func (s *Server) authenticate(r *http.Request) (principal, error) {
	now := time.Now()
	var username, session string
	var issued int64
	switch h := r.Header.Get("Authorization"); {
	case strings.HasPrefix(h, "Bearer "):
		tok := strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(h, "Bearer ")), tokenPrefix)
		name, at, ok := s.sign.check("token", tok, now)
		if !ok {
			return principal{}, errors.New("the bearer token is invalid or expired: get a new one with `wasmflow users token -u USER`")
		}
		revoked, err := s.app.Store.SessionRevoked(r.Context(), sessionID(tok))
		if err != nil {
			return principal{}, fmt.Errorf("could not check the bearer token (try again): %w", err)
		}
		if revoked {
			return principal{}, errors.New("this bearer token was logged out: get a new one with `wasmflow users token -u USER`")
		}
		username, issued = name, at
	case strings.HasPrefix(h, "Basic "):
		if len(h) > maxAuthHeader {
			return principal{}, badRequest("the Authorization header is %d bytes long, too long for basic auth: a user name has at most %d bytes, a password at most %d bytes",
				len(h), maxUsernameBytes, maxPasswordBytes)
		}
		user, pass, ok := r.BasicAuth()
		if !ok {
			return principal{}, errors.New("malformed basic auth header")
		}
		return s.basicLogin(r, user, pass)
	default:
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			return principal{}, errNoCredentials
		}
		name, at, ok := s.sign.check("session", c.Value, now)
		if !ok {
			return principal{}, errors.New("the session expired: log in again")
		}
		revoked, err := s.app.Store.SessionRevoked(r.Context(), sessionID(c.Value))
		if err != nil {
			return principal{}, fmt.Errorf("could not check the session (log in again, or use a token): %w", err)
		}
		if revoked {
			return principal{}, errors.New("this session was logged out: log in again")
		}
		username, session, issued = name, c.Value, at
	}
	u, err := s.app.Store.GetUser(r.Context(), username)
	if err != nil || !u.Active {
		return principal{}, fmt.Errorf("user %q no longer exists or is inactive", username)
	}
	if issued != 0 && issued < u.CreatedAt.UnixMilli() {
		// Issued to a user deleted since, whose name was given to a new one: not theirs.
		return principal{}, fmt.Errorf("this session or token was issued to an earlier user %q, deleted since: log in again, or get a new token", username)
	}
	return principal{Username: u.Username, Role: parseRole(u.Role), Session: session}, nil
}

var errNoCredentials = errors.New("authentication required: log in, or send a bearer token (`wasmflow users token -u USER`) or basic auth")

// newSession sets the session cookie for p and returns its CSRF token.
func (s *Server) newSession(w http.ResponseWriter, r *http.Request, p principal) string {
	now := time.Now()
	exp := now.Add(sessionTTL)
	v := s.sign.sealUser("session", p.Username, exp, now)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: v, Path: "/", Expires: exp, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return s.sign.csrf(v)
}

// sessionID names a session in the revocation list: the sha256 of its cookie, so the list
// holds no credential.
func sessionID(cookie string) string {
	sum := sha256.Sum256([]byte(cookie))
	return hex.EncodeToString(sum[:])
}

// revokeSession records the session of cookie (purpose "session") or a bearer token (purpose
// "token", without its prefix) as logged out until it expires, so a copy of it opens nothing,
// after a restart too. Only an intact, live one is recorded: logout needs no login, and a
// stranger's made-up cookies must not fill the metastore.
func (s *Server) revokeSession(ctx context.Context, purpose, cookie string) error {
	now := time.Now()
	f, ok := s.sign.open(purpose, cookie)
	if !ok || len(f) < 2 {
		return nil
	}
	exp, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || now.Unix() > exp {
		return nil
	}
	return s.app.Store.RevokeSession(ctx, sessionID(cookie), f[0], time.Unix(exp, 0))
}

// checkCSRF refuses a state-changing request made with a session cookie unless it carries the
// session's CSRF token: another site can make the browser send the cookie, not the header.
// Tokens and basic auth are not sent by browsers on their own, so they need no CSRF token.
func (s *Server) checkCSRF(r *http.Request, p principal) error {
	if p.Session == "" {
		return nil
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return nil
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(s.sign.csrf(p.Session))) != 1 {
		return errors.New("missing or wrong X-CSRF-Token header: send the csrf_token from /api/v1/auth/me with every change")
	}
	return nil
}
