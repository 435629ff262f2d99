package api

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// credCache remembers basic-auth credentials verified lately, so a client sending them with
// every request pays bcrypt (tens of ms) once in basicCacheTTL, not on each request: basic
// auth then costs what a token does. An entry is keyed by an HMAC of the user name and
// password under the server's secret (the cache holds no password, and its keys open nothing
// without the secret), and holds the password hash it was checked against: a password changed
// since, or the user deleted and made again, no longer matches, so the entry is not used.
type credCache struct {
	mu      sync.Mutex
	entries map[string]credEntry
	limit   int
}

type credEntry struct {
	hash    string // the user's password hash when the password was checked
	expires time.Time
}

const (
	basicCacheTTL = time.Minute
	// basicCacheSize bounds the cache; only verified credentials enter it, so a stranger
	// cannot fill it.
	basicCacheSize = 1024
)

func newCredCache() *credCache {
	return &credCache{entries: map[string]credEntry{}, limit: basicCacheSize}
}

// verified reports whether key was verified within the TTL against the password hash hash.
func (c *credCache) verified(key, hash string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if ok && (now.After(e.expires) || e.hash != hash) {
		delete(c.entries, key)
		return false
	}
	return ok
}

func (c *credCache) add(key, hash string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.limit {
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
	}
	for k := range c.entries { // still full: any one goes, it costs its user one bcrypt
		if len(c.entries) < c.limit {
			break
		}
		delete(c.entries, k)
	}
	c.entries[key] = credEntry{hash: hash, expires: now.Add(basicCacheTTL)}
}

// basicLogin checks basic-auth credentials: as a login (throttled, bcrypt), unless the same
// ones were verified lately against the user's current password. The throttle comes first, so
// a locked-out client learns nothing from the cache either.
func (s *Server) basicLogin(r *http.Request, username, password string) (principal, error) {
	if err := checkCredentialSize(username, password); err != nil {
		return principal{}, err
	}
	client, now := s.clientAddr(r), time.Now()
	if wait := s.throttle.blocked(client, username, now); wait > 0 {
		return principal{}, &throttledError{wait}
	}
	key := s.sign.mac("basic-auth", strconv.Itoa(len(username))+":"+username+password)
	u, err := s.app.Store.GetUser(r.Context(), username)
	if err == nil && u.Active && s.basic.verified(key, u.PasswordHash, now) {
		return principal{Username: u.Username, Role: parseRole(u.Role)}, nil
	}
	p, err := s.login(r.Context(), client, username, password)
	if err == nil && u.PasswordHash != "" {
		s.basic.add(key, u.PasswordHash, now)
	}
	return p, err
}
