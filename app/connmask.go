package app

import (
	"encoding/json"
	"strings"

	"github.com/wasmflow/wasmflow/tasks"
)

// Masked stands for a secret in every listing, log line and API answer, as Airflow shows it.
const Masked = "***"

// MaskExtra returns a connection's extra (a JSON object) with the value of every sensitive key
// replaced by ***, at any depth, as Airflow's secrets masker does. Text that is not a JSON
// object is masked whole: it cannot be told what in it is secret.
func MaskExtra(extra string) string {
	if extra == "" {
		return ""
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(extra), &v); err != nil {
		return Masked
	}
	b, err := json.Marshal(maskValue(v))
	if err != nil {
		return Masked
	}
	return string(b)
}

func maskValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if tasks.SensitiveName(k) {
				v[k] = Masked
			} else {
				v[k] = maskValue(x)
			}
		}
	case []any:
		for i, x := range v {
			v[i] = maskValue(x)
		}
	}
	return v
}

// unmaskExtra returns edited, where a sensitive key still holds *** (the masked value a form
// showed and sent back), with the value stored before: editing one setting of a connection
// must not overwrite its token with "***".
func unmaskExtra(edited, stored string) string {
	if edited == "" || stored == "" || !strings.Contains(edited, Masked) {
		return edited
	}
	var e, s map[string]any
	if json.Unmarshal([]byte(edited), &e) != nil || json.Unmarshal([]byte(stored), &s) != nil {
		return edited
	}
	restore(e, s)
	b, err := json.Marshal(e)
	if err != nil {
		return edited
	}
	return string(b)
}

func restore(edited, stored map[string]any) {
	for k, v := range edited {
		switch v := v.(type) {
		case string:
			if v == Masked && tasks.SensitiveName(k) {
				if old, ok := stored[k]; ok {
					edited[k] = old
				}
			}
		case map[string]any:
			if old, ok := stored[k].(map[string]any); ok {
				restore(v, old)
			}
		}
	}
}

// Unmask returns edited with the secrets a form could not show taken from stored: a password
// of *** (or, for an edit, none given) and extra values of ***.
func Unmask(edited, stored tasks.Connection) tasks.Connection {
	if edited.Password == Masked {
		edited.Password = stored.Password
	}
	edited.Extra = unmaskExtra(edited.Extra, stored.Extra)
	return edited
}
