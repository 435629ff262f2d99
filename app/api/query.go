package api

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The query parameters of Airflow's list endpoints. Each one either works or is refused with
// a 400 that names what it takes: a script must never get an answer that ignored part of
// its question.

// orderOf reads order_by: one of names, or one of them after "-" to reverse; "" is def.
func orderOf[V any](r *http.Request, names map[string]V, def string) (string, bool, error) {
	return orderNamed(r.URL.Query().Get("order_by"), names, def)
}

// orderNamed reads an order_by value (of a query or a body) as orderOf does.
func orderNamed[V any](ob string, names map[string]V, def string) (string, bool, error) {
	ob = cmp.Or(ob, def)
	name, desc := strings.CutPrefix(ob, "-")
	if _, ok := names[name]; !ok {
		return "", false, badRequest("order_by must be one of %s (with - before it to reverse), not %q", strings.Join(sortedKeys(names), ", "), ob)
	}
	return name, desc, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// sortBy orders items as order_by asks (def when absent), each order a comparison: for the
// lists the metastore hands over whole (pools, variables, users, import errors).
func sortBy[T any](r *http.Request, items []T, def string, by map[string]func(a, b T) int) error {
	name, desc, err := orderOf(r, by, def)
	if err != nil {
		return err
	}
	slices.SortStableFunc(items, func(a, b T) int {
		if desc {
			return by[name](b, a)
		}
		return by[name](a, b)
	})
	return nil
}

// timeParam reads an RFC 3339 date (Airflow's filters such as start_date_gte); "" is zero.
func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, badRequest("%s must be an RFC 3339 date like 2024-03-01T00:00:00Z, not %q", name, v)
	}
	return t, nil
}

// timeRange reads PREFIX_gte and PREFIX_lte.
func timeRange(r *http.Request, prefix string) (from, to time.Time, err error) {
	if from, err = timeParam(r, prefix+"_gte"); err != nil {
		return from, to, err
	}
	to, err = timeParam(r, prefix+"_lte")
	return from, to, err
}

// floatParam reads a number of seconds (duration_gte); "" is nil.
func floatParam(r *http.Request, name string) (*float64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return nil, badRequest("%s must be a number of seconds like 1.5, not %q", name, v)
	}
	return &f, nil
}

// inRange says whether t is in [from, to] (zero bounds: unbounded).
func inRange(t, from, to time.Time) bool {
	return (from.IsZero() || !t.Before(from)) && (to.IsZero() || !t.After(to))
}

// maskOf reads a PATCH's update_mask against the fields it may name: nil when absent (every
// field the body holds changes), else the set named. A field named must be in the body, so
// an update_mask is never half applied.
func maskOf(r *http.Request, fields []string, inBody func(field string) bool) (map[string]bool, error) {
	names := updateMask(r)
	if names == nil {
		return nil, nil
	}
	mask := map[string]bool{}
	for _, f := range names {
		if !slices.Contains(fields, f) {
			return nil, badRequest("update_mask: %q is unknown or cannot be updated; the fields are %s", f, strings.Join(fields, ", "))
		}
		if !inBody(f) {
			return nil, badRequest("update_mask names %s, but the body has no %q", f, f)
		}
		mask[f] = true
	}
	return mask, nil
}

// changes says whether a PATCH changes field: named by the mask, or, without one, in the body.
func changes(mask map[string]bool, field string, inBody bool) bool {
	if mask == nil {
		return inBody
	}
	return mask[field]
}
