package sdk

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The HTTP request and response are coded by hand: in a module, encoding/json's reflection
// costs more than the host's whole HTTP call (~100 µs per request), and a task may make many.
// The shapes are fixed (docs/hostcalls.md); a response the fast decoder does not expect falls
// back to encoding/json.

// appendHTTPRequest appends the JSON of r.
func appendHTTPRequest(b []byte, r *httpRequest) []byte {
	b = append(b, `{"method":`...)
	b = appendJSONString(b, r.Method)
	if r.URL != "" {
		b = append(b, `,"url":`...)
		b = appendJSONString(b, r.URL)
	}
	if r.ConnID != "" {
		b = append(b, `,"conn_id":`...)
		b = appendJSONString(b, r.ConnID)
		b = append(b, `,"path":`...)
		b = appendJSONString(b, r.Path)
	}
	if len(r.Headers) > 0 {
		keys := make([]string, 0, len(r.Headers))
		for k := range r.Headers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, `,"headers":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ":["...)
			for j, v := range r.Headers[k] {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, v)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	if len(r.Body) > 0 {
		b = append(b, `,"body":"`...)
		b = base64.StdEncoding.AppendEncode(b, r.Body)
		b = append(b, '"')
	}
	return append(b, '}')
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD, as encoding/json
// would make it.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+n]...)
		}
		i += n
	}
	return append(b, '"')
}

var errShape = errors.New("unexpected JSON")

// decodeHTTPResponse decodes the host's answer to http_request.
func decodeHTTPResponse(data []byte, r *httpResponse) error {
	d := jsonScanner{b: data}
	if err := d.response(r); err == nil {
		return nil
	}
	*r = httpResponse{}
	return json.Unmarshal(data, r)
}

// jsonScanner reads the fixed shape {"status": N, "headers": {K: [V...]}, "body": "base64"}.
type jsonScanner struct {
	b []byte
	i int
}

func (d *jsonScanner) response(r *httpResponse) error {
	if !d.consume('{') {
		return errShape
	}
	for first := true; ; first = false {
		if d.consume('}') {
			return d.end()
		}
		if !first && !d.consume(',') {
			return errShape
		}
		key, err := d.rawStr() // compared in place: no string is made for it
		if err != nil || !d.consume(':') {
			return errShape
		}
		switch string(key) {
		case "status":
			if r.Status, err = d.int(); err != nil {
				return err
			}
		case "headers":
			if r.Headers, err = d.headers(); err != nil {
				return err
			}
		case "body":
			if d.null() {
				continue
			}
			s, err := d.rawStr()
			if err != nil {
				return err
			}
			// Decoded from the response in place, not from a string copy of it.
			r.Body = make([]byte, base64.StdEncoding.DecodedLen(len(s)))
			n, err := base64.StdEncoding.Decode(r.Body, s)
			if err != nil {
				return err
			}
			r.Body = r.Body[:n]
		default:
			return errShape
		}
	}
}

func (d *jsonScanner) headers() (http.Header, error) {
	if d.null() {
		return nil, nil
	}
	if !d.consume('{') {
		return nil, errShape
	}
	// The values are read as slices of the response first, then copied into one string that
	// they all slice, and into one backing array: two allocations for every value of every
	// header. Each header's slice is capped at its own values, so appending to one reallocates
	// instead of overwriting the next. (The arrays below stay on the stack for 16 headers.)
	var keysBuf [16]string
	var countsBuf [16]int
	var valuesBuf [16][]byte
	keys, counts, values := keysBuf[:0], countsBuf[:0], valuesBuf[:0]
	size := 0
	for first := true; !d.consume('}'); first = false {
		if !first && !d.consume(',') {
			return nil, errShape
		}
		kb, err := d.rawStr()
		if err != nil || !d.consume(':') || !d.consume('[') {
			return nil, errShape
		}
		keys = append(keys, headerName(kb))
		n := 0
		for vfirst := true; !d.consume(']'); vfirst = false {
			if !vfirst && !d.consume(',') {
				return nil, errShape
			}
			v, err := d.rawStr()
			if err != nil {
				return nil, err
			}
			values = append(values, v)
			size += len(v)
			n++
		}
		counts = append(counts, n)
	}
	var joined strings.Builder
	joined.Grow(size)
	for _, v := range values {
		joined.Write(v)
	}
	all, strs := joined.String(), make([]string, len(values))
	for i, v := range values {
		strs[i], all = all[:len(v)], all[len(v):]
	}
	h := make(http.Header, len(keys))
	for i, k := range keys {
		h[k], strs = strs[:counts[i]:counts[i]], strs[counts[i]:]
	}
	return h, nil
}

// headerName is the header name in b, without allocating for the names most responses have.
func headerName(b []byte) string {
	switch string(b) { // compared without a conversion
	case "Content-Type":
		return "Content-Type"
	case "Content-Length":
		return "Content-Length"
	case "Date":
		return "Date"
	case "Server":
		return "Server"
	case "Etag":
		return "Etag"
	case "Last-Modified":
		return "Last-Modified"
	case "Cache-Control":
		return "Cache-Control"
	case "Vary":
		return "Vary"
	case "Location":
		return "Location"
	}
	return string(b)
}

func (d *jsonScanner) skipSpace() {
	for d.i < len(d.b) && (d.b[d.i] == ' ' || d.b[d.i] == '\n' || d.b[d.i] == '\t' || d.b[d.i] == '\r') {
		d.i++
	}
}

func (d *jsonScanner) consume(c byte) bool {
	d.skipSpace()
	if d.i < len(d.b) && d.b[d.i] == c {
		d.i++
		return true
	}
	return false
}

func (d *jsonScanner) null() bool {
	d.skipSpace()
	if len(d.b)-d.i >= 4 && string(d.b[d.i:d.i+4]) == "null" {
		d.i += 4
		return true
	}
	return false
}

func (d *jsonScanner) end() error {
	d.skipSpace()
	if d.i != len(d.b) {
		return errShape
	}
	return nil
}

func (d *jsonScanner) int() (int, error) {
	d.skipSpace()
	j := d.i
	for j < len(d.b) && '0' <= d.b[j] && d.b[j] <= '9' {
		j++
	}
	n, err := strconv.Atoi(string(d.b[d.i:j]))
	d.i = j
	return n, err
}

// rawStr reads a JSON string. One without escapes (the host's keys, header values and
// base64 bodies) is returned as a slice of the input, found with IndexByte rather than byte
// by byte: in a module each step of a Go loop costs far more than natively.
func (d *jsonScanner) rawStr() ([]byte, error) {
	if !d.consume('"') {
		return nil, errShape
	}
	rest := d.b[d.i:]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return nil, errShape
	}
	if bytes.IndexByte(rest[:end], '\\') < 0 {
		d.i += end + 1
		return rest[:end], nil
	}
	return d.unescape()
}

// unescape reads the rest of a string that has escapes, from its opening quote's next byte.
func (d *jsonScanner) unescape() ([]byte, error) {
	var out []byte
	for d.i < len(d.b) {
		c := d.b[d.i]
		switch {
		case c == '"':
			d.i++
			return out, nil
		case c != '\\':
			out = append(out, c)
			d.i++
			continue
		}
		if d.i+1 >= len(d.b) {
			return nil, errShape
		}
		e := d.b[d.i+1]
		d.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, errShape
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(utf8.RuneError)
				if d.i+1 < len(d.b) && d.b[d.i] == '\\' && d.b[d.i+1] == 'u' {
					d.i += 2
					if r2, ok = d.hex4(); !ok {
						return nil, errShape
					}
				}
				r = utf16.DecodeRune(r, r2)
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, errShape
		}
	}
	return nil, errShape
}

func (d *jsonScanner) hex4() (rune, bool) {
	if d.i+4 > len(d.b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(d.b[d.i:d.i+4]), 16, 32)
	d.i += 4
	return rune(n), err == nil
}
