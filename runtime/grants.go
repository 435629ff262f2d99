package runtime

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// Grants are what one try may reach outside its sandbox (SPEC.md §8), already resolved by the
// caller: the connections are looked up and their secrets decrypted. Deny by default: the zero
// value grants nothing, and every host call is then refused with the grant to add.
type Grants struct {
	// Connections are the task's `connections:` by conn_id. The host adds their credentials to
	// the calls it makes with them, so the module never sees a password.
	Connections map[string]tasks.Connection
	// AllowHosts are the task's `allow_hosts:`: "api.example.com" (any port),
	// "api.example.com:443", "*.example.org" (any subdomain, not the apex), "127.0.0.1:8080",
	// "[::1]:8080". Plain HTTP by URL may reach these hosts and no others.
	AllowHosts []string
	// Secrets are the task's `secrets:` by conn_id: the module may read their password and
	// extra itself through secret_get, and the try's record says that it did.
	Secrets map[string]tasks.Connection
}

// Call kinds, as Call.Kind holds them.
const (
	CallHTTP   = "http"
	CallSQL    = "sql"
	CallSecret = "secret"
)

// Call is the record of one host call a module made, granted or refused: the audit trail of
// what a try touched (SPEC.md §8). It holds no secret, no body, no bound parameter and no query
// string, so it can be stored and shown to anyone who may see the try.
type Call struct {
	// Kind is "http", "sql" or "secret".
	Kind string
	// Target is the conn_id for a call through a connection, else the host ("api.example.com"
	// or "api.example.com:8443" when the port is not the scheme's default).
	Target string
	// Op is the method and path ("GET /v1/items", no query string) or the statement's first
	// words ("SELECT id, name FROM"); empty for a secret.
	Op string
	// Status is the HTTP status of the last response, 0 when there was none.
	Status int
	// Rows is the number of rows a query returned or a statement affected.
	Rows int64
	// BytesOut and BytesIn are the bytes of the request body (or bound parameters) sent and of
	// the response body (or rows, as JSON) received.
	BytesOut, BytesIn int64
	// Duration is how long the host spent on the call.
	Duration time.Duration
	// Refused is true when the host did not make the call: not granted, an address not
	// allowed, a limit of the try reached before it started, a bad request.
	Refused bool
	// Error says why the call was refused or failed; empty for a call that got its answer
	// (an HTTP 500 is an answer).
	Error string
}

// CallLimits bound what a try's host calls may cost. Zero fields take the defaults below.
type CallLimits struct {
	// MaxRequestBytes caps the body of an HTTP request and the bound parameters of a statement.
	// Default 1 MiB.
	MaxRequestBytes int64
	// MaxResponseBytes caps the body of an HTTP response and a query's rows as JSON. Default
	// 4 MiB (the response is copied into the module's memory).
	MaxResponseBytes int64
	// Timeout caps one call, inside what is left of the try's execution_timeout. Default 30 s.
	Timeout time.Duration
	// MaxCalls caps the host calls of one try, granted or refused. Default 1000.
	MaxCalls int
	// MaxRows caps the rows of one query. Default 10,000.
	MaxRows int
	// MaxRedirects caps the redirects one HTTP call follows. Default 10.
	MaxRedirects int
}

// Defaults of CallLimits.
const (
	DefaultMaxRequestBytes  = 1 << 20
	DefaultMaxResponseBytes = 4 << 20
	DefaultCallTimeout      = 30 * time.Second
	DefaultMaxCalls         = 1000
	DefaultMaxRows          = 10_000
	DefaultMaxRedirects     = 10
)

func (l CallLimits) withDefaults() CallLimits {
	if l.MaxRequestBytes <= 0 {
		l.MaxRequestBytes = DefaultMaxRequestBytes
	}
	if l.MaxResponseBytes <= 0 {
		l.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultCallTimeout
	}
	if l.MaxCalls <= 0 {
		l.MaxCalls = DefaultMaxCalls
	}
	if l.MaxRows <= 0 {
		l.MaxRows = DefaultMaxRows
	}
	if l.MaxRedirects <= 0 {
		l.MaxRedirects = DefaultMaxRedirects
	}
	return l
}

// Network is how host calls reach the outside: injectable so that tests can map names to
// loopback addresses and prove the address checks. The zero value uses the system's resolver
// and a plain net.Dialer.
type Network struct {
	// LookupIP resolves a host name. Default: net.DefaultResolver.LookupNetIP(ctx, "ip", host).
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
	// Dial connects to an address already checked ("ip:port"). Default: net.Dialer.DialContext.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (n Network) withDefaults() Network {
	if n.LookupIP == nil {
		n.LookupIP = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	if n.Dial == nil {
		var d net.Dialer
		n.Dial = d.DialContext
	}
	return n
}

// deniedError is a call refused because the grants do not allow it. Its message names the
// grant to add.
type deniedError struct{ msg string }

func (e *deniedError) Error() string { return e.msg }

func denied(format string, args ...any) error { return &deniedError{fmt.Sprintf(format, args...)} }

// hostPort is a host (lowercase, no trailing dot, IPv6 without brackets) and a port.
type hostPort struct {
	host string
	port int
}

func (h hostPort) String() string { return net.JoinHostPort(h.host, strconv.Itoa(h.port)) }

// allowRule is one allow_hosts entry.
type allowRule struct {
	host     string // "*.example.org" keeps its "*."
	port     int    // 0: any port
	wildcard bool
}

// parseAllowHosts reads allow_hosts entries. The parser of DAG files (tasks) checks them for
// their author; here a bad entry only grants nothing.
func parseAllowHosts(entries []string) []allowRule {
	rules := make([]allowRule, 0, len(entries))
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		host, port := e, 0
		if h, p, err := net.SplitHostPort(e); err == nil {
			n, err := strconv.Atoi(p)
			if err != nil || n <= 0 || n > 65535 {
				continue
			}
			host, port = h, n
		}
		host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
		if host == "" || host == "*." {
			continue
		}
		rules = append(rules, allowRule{host: host, port: port, wildcard: strings.HasPrefix(host, "*.")})
	}
	return rules
}

func (r allowRule) matches(h hostPort) bool {
	if r.port != 0 && r.port != h.port {
		return false
	}
	if r.wildcard {
		// A wildcard names domains, never addresses.
		if _, err := netip.ParseAddr(h.host); err == nil {
			return false
		}
		return strings.HasSuffix(h.host, r.host[1:])
	}
	return r.host == h.host
}

// normalizeHost lowercases a URL's host name and drops a trailing dot and IPv6 brackets.
func normalizeHost(h string) string {
	return strings.TrimSuffix(strings.Trim(strings.ToLower(h), "[]"), ".")
}

// checkAddr says why a resolved address may not be dialed for a host name, or "" if it may.
// Loopback, private, link-local, unspecified (and the other ranges that reach this machine or
// its network) are refused behind a name, so a public name pointed at 127.0.0.1 or the cloud's
// metadata address reaches nothing; a grant that names the address itself allows it.
func checkAddr(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast():
		return "a link-local address"
	case a.IsUnspecified():
		return "the unspecified address"
	case a.IsMulticast() || a.IsInterfaceLocalMulticast():
		return "a multicast address"
	case sharedAddressSpace.Contains(a):
		return "a shared (carrier-grade NAT) address"
	}
	return ""
}

// sharedAddressSpace is RFC 6598's 100.64.0.0/10, private in all but name.
var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")
