package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf8"
)

// InvalidUTF8Error refuses text that is not UTF-8: a Variable's key or value, a run's conf. JSON
// decoders and the database would replace the bad bytes with U+FFFD silently, so what a task
// reads would differ from what was sent.
type InvalidUTF8Error struct {
	Field  string // where: "value", "conf.rows[2]", "a key in conf"
	Offset int    // of the first bad byte, in the field or in the JSON document; -1 if unknown
	Byte   byte
}

func (e *InvalidUTF8Error) Error() string {
	at := ""
	if e.Offset >= 0 {
		at = fmt.Sprintf(" (byte 0x%02x at offset %d)", e.Byte, e.Offset)
	}
	return fmt.Sprintf("%s is not valid UTF-8%s: send text as UTF-8, and binary data encoded (base64, hex)", e.Field, at)
}

// CheckUTF8 refuses s, the field named, unless it is UTF-8.
func CheckUTF8(field, s string) error {
	if i := invalidAt([]byte(s)); i >= 0 {
		return &InvalidUTF8Error{Field: field, Offset: i, Byte: s[i]}
	}
	return nil
}

// CheckUTF8JSON refuses a JSON document that is not UTF-8, before it is decoded (which would
// replace the bad bytes), naming the field the first bad byte is in: prefix, then the path of
// keys and indexes from the top ("conf.rows[2]"; prefix "" names the top level's keys alone).
func CheckUTF8JSON(prefix string, raw []byte) error {
	off := invalidAt(raw)
	if off < 0 {
		return nil
	}
	return &InvalidUTF8Error{Field: jsonFieldAt(prefix, raw, off), Offset: off, Byte: raw[off]}
}

// invalidAt is the offset of the first byte of b that is not UTF-8, or -1.
func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

// jsonFrame is an object or array jsonFieldAt is inside.
type jsonFrame struct {
	path      string
	object    bool
	expectKey bool // in an object: the next string is a key
	key       string
	index     int
}

func (f *jsonFrame) child() string {
	if f.object {
		if f.path == "" {
			return f.key
		}
		return f.path + "." + f.key
	}
	return f.path + "[" + strconv.Itoa(f.index) + "]"
}

// jsonFieldAt names the field of the JSON document raw whose token holds byte off.
func jsonFieldAt(prefix string, raw []byte, off int) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	stack := []*jsonFrame{{path: prefix}} // the top: its one value is prefix itself
	name := func(p string) string {
		if p == "" {
			return "the request body"
		}
		return p
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return name(prefix)
		}
		top := stack[len(stack)-1]
		here := top.path
		if len(stack) > 1 {
			here = top.child()
		}
		if int(dec.InputOffset()) > off {
			if top.object && top.expectKey {
				return "a key in " + name(top.path)
			}
			return name(here)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			stack = append(stack, &jsonFrame{path: here, object: tok == json.Delim('{'), expectKey: true})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			top = stack[len(stack)-1]
		default:
			if top.object && top.expectKey {
				top.key, top.expectKey = fmt.Sprint(tok), false
				continue
			}
		}
		// a value ended: the next one is a key again, or the array's next element
		top.expectKey = true
		top.index++
	}
}
