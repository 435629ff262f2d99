package tasks

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
)

// ConnIDPattern is what a conn_id may be: 1 to 250 of Airflow's letters, digits, '_', '.' and
// '-' (the regexp ^[A-Za-z0-9_.-]{1,250}$). It is checked by hand: compiling that regexp, whose
// {1,250} unrolls into 250 states, took about a millisecond of every wasmflow process's start.
var ConnIDPattern connIDPattern

type connIDPattern struct{}

// MatchString reports whether s is a valid conn_id.
func (connIDPattern) MatchString(s string) bool {
	if len(s) == 0 || len(s) > 250 { // Airflow's conn_id column
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// HostPattern is one allow_hosts entry: a host name or IP address, or "*." and a domain (every
// name under it, not the domain itself), with an optional port (0 = any).
type HostPattern struct {
	Host     string // lower case; for a wildcard, the domain after "*."
	Wildcard bool
	Port     int
}

// hostLabel is one label of a DNS name.
var hostLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ParseHostPattern reads an allow_hosts entry: "api.example.com", "api.example.com:443",
// "*.example.org", "10.0.0.5:8080" or "[::1]:80". Anything else (a URL, a path, a wildcard
// that is not a whole first label) is refused with what to write instead.
func ParseHostPattern(s string) (HostPattern, error) {
	var hp HostPattern
	if strings.Contains(s, "://") || strings.ContainsAny(s, "/?#@") {
		return hp, fmt.Errorf("%q is not a host: give the host and optional port only, e.g. api.example.com:443", s)
	}
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		if p == "" {
			return hp, fmt.Errorf("%q: the port must be a number from 1 to 65535 (or leave out the ':')", s)
		}
		host, port = h, p
	} else if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		host = s[1 : len(s)-1]
	} else if strings.Count(s, ":") == 1 {
		return hp, fmt.Errorf("%q: the port must be a number from 1 to 65535", s)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return hp, fmt.Errorf("%q: the port must be a number from 1 to 65535", s)
		}
		hp.Port = n
	}
	host = strings.ToLower(host)
	if ip := net.ParseIP(host); ip != nil {
		hp.Host = ip.String()
		return hp, nil
	}
	if rest, ok := strings.CutPrefix(host, "*."); ok {
		hp.Wildcard, host = true, rest
	}
	if strings.Contains(host, "*") {
		return hp, fmt.Errorf("%q: a wildcard may only be a whole first label, as in *.example.org", s)
	}
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if host == "" || len(host) > 253 || (hp.Wildcard && len(labels) < 2) {
		return hp, fmt.Errorf("%q is not a host name (e.g. api.example.com, *.example.org)", s)
	}
	for _, l := range labels {
		if !hostLabel.MatchString(l) {
			return hp, fmt.Errorf("%q is not a host name: %q is not a DNS label (letters, digits and '-')", s, l)
		}
	}
	hp.Host = strings.Join(labels, ".")
	return hp, nil
}

// Matches reports whether a request to host:port is within the pattern. host is a name or an
// address as the request names it; port is the request's port.
func (hp HostPattern) Matches(host string, port int) bool {
	if hp.Port != 0 && hp.Port != port {
		return false
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if ip := net.ParseIP(strings.Trim(host, "[]")); ip != nil {
		return !hp.Wildcard && ip.String() == hp.Host
	}
	if hp.Wildcard {
		return strings.HasSuffix(host, "."+hp.Host)
	}
	return host == hp.Host
}

// grants reads connections, allow_hosts and secrets, each a list (a task's own replaces the
// default_args one, as every task setting does).
func (p *dagParser) grants(t *Task, tf taskFields, label string) {
	if f, ok := tf.get("connections"); ok {
		t.Grants.Connections = p.connIDs(f, label+"connections")
	}
	if f, ok := tf.get("secrets"); ok {
		t.Grants.Secrets = p.connIDs(f, label+"secrets")
	}
	if f, ok := tf.get("allow_hosts"); ok {
		hosts, pos, _ := p.w.strings(f)
		for i, h := range hosts {
			if _, err := ParseHostPattern(h); err != nil {
				p.ps.add(pos[i], "%sallow_hosts: %v", label, err)
				continue
			}
			t.Grants.AllowHosts = append(t.Grants.AllowHosts, h)
		}
	}
}

// connIDs reads a list of conn_ids, each checked against the defined connections when the
// parser was given them.
func (p *dagParser) connIDs(f field, what string) []string {
	ids, pos, _ := p.w.strings(f)
	var out []string
	seen := map[string]bool{}
	for i, id := range ids {
		switch {
		case !ConnIDPattern.MatchString(id):
			p.ps.add(pos[i], "%s: %q is not a conn_id (letters, digits, '_', '.' and '-')", what, id)
		case p.opts.ConnectionExists != nil && !p.opts.ConnectionExists(id):
			p.ps.add(pos[i], "%s: connection %q does not exist: add it with `wasmflow connections add %s --conn-type ...` "+
				"or in the UI (Admin > Connections)", what, id, id)
		case !seen[id]:
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
