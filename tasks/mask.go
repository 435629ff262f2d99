package tasks

import "strings"

// Masked is what a secret is shown as where its reader may not see it: Airflow's mask.
const Masked = "***"

// sensitiveFields are Airflow's DEFAULT_SENSITIVE_FIELDS: a Variable whose key contains one of
// them (any case) holds a secret by its name, and listings and logs show its value masked.
var sensitiveFields = []string{
	"access_token", "api_key", "apikey", "authorization", "passphrase", "passwd", "password",
	"private_key", "secret", "token", "keyfile_dict", "service_account",
}

// SensitiveName reports whether a Variable's key (or a connection's field) names a secret, by
// Airflow's rule (should_hide_value_for_key): it contains a sensitive word, in any case.
func SensitiveName(key string) bool {
	key = strings.ToLower(strings.TrimSpace(key))
	for _, f := range sensitiveFields {
		if strings.Contains(key, f) {
			return true
		}
	}
	return false
}

// Secrets is a set of secret values: those a render of a task used (every var() it answered
// from a Variable; connections register theirs the same way), to be masked wherever the
// rendered text is shown to someone who may not read them. The zero value is empty and ready.
type Secrets struct {
	values map[string]struct{}
}

// Add registers a secret value. An empty value is no secret (masking it would mean nothing).
func (s *Secrets) Add(value string) {
	if value == "" {
		return
	}
	if s.values == nil {
		s.values = map[string]struct{}{}
	}
	s.values[value] = struct{}{}
}

// Len is how many secret values the set holds.
func (s *Secrets) Len() int {
	if s == nil {
		return 0
	}
	return len(s.values)
}

// Mask replaces every occurrence of every secret in text with Masked. Occurrences that touch
// or overlap (one secret inside or across another) become one Masked, so no part of either is
// left readable. A nil or empty set masks nothing.
func (s *Secrets) Mask(text string) string { return s.MaskPart(text, 0, len(text)) }

// MaskPart masks text and returns its part text[from:to]: a secret that begins before from or
// ends after to is still found, and its bytes inside the part are masked. A log served in
// chunks is masked this way, each chunk with the bytes around it (MaxLen-1 each side).
func (s *Secrets) MaskPart(text string, from, to int) string {
	if from >= to {
		return ""
	}
	if s.Len() == 0 {
		return text[from:to]
	}
	var hidden []bool // per byte of text, allocated at the first occurrence
	for v := range s.values {
		end := 0 // bytes before end are already hidden for this secret
		for pos := 0; pos < len(text); {
			at := strings.Index(text[pos:], v)
			if at < 0 {
				break
			}
			if hidden == nil {
				hidden = make([]bool, len(text))
			}
			at += pos
			for i := max(at, end); i < at+len(v); i++ {
				hidden[i] = true
			}
			end = at + len(v)
			pos = at + 1 // overlapping occurrences too ("aa" in "aaa")
		}
	}
	if hidden == nil {
		return text[from:to]
	}
	var b strings.Builder
	for i := from; i < to; {
		if !hidden[i] {
			j := i
			for j < to && !hidden[j] {
				j++
			}
			b.WriteString(text[i:j])
			i = j
			continue
		}
		for i < to && hidden[i] {
			i++
		}
		b.WriteString(Masked)
	}
	return b.String()
}

// Multiline reports whether a secret spans lines (a private key, say).
func (s *Secrets) Multiline() bool {
	if s != nil {
		for v := range s.values {
			if strings.Contains(v, "\n") {
				return true
			}
		}
	}
	return false
}

// MaxLen is the length in bytes of the longest secret, 0 for none.
func (s *Secrets) MaxLen() int {
	n := 0
	if s != nil {
		for v := range s.values {
			n = max(n, len(v))
		}
	}
	return n
}
