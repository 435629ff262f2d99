package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/goccy/go-yaml"
)

// Formats of every listing, as `-o`.
var formats = []string{"table", "json", "yaml", "plain"}

// listing is what a command shows: the data (for json and yaml, with Airflow's REST field
// names) and the same as text columns (for table and plain).
type listing struct {
	data   any
	header []string
	rows   [][]string
}

// render writes l in the chosen format.
func render(w io.Writer, format string, l listing) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // "a -> b" stays readable
		return enc.Encode(l.data)
	case "yaml":
		b, err := json.Marshal(l.data)
		if err != nil {
			return err
		}
		y, err := yaml.JSONToYAML(b)
		if err != nil {
			return err
		}
		_, err = w.Write(y)
		return err
	case "plain":
		for _, r := range l.rows {
			if _, err := fmt.Fprintln(w, strings.Join(r, "\t")); err != nil {
				return err
			}
		}
		return nil
	case "table", "":
		if len(l.rows) == 0 {
			_, err := fmt.Fprintln(w, "No data found")
			return err
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(l.header, "\t"))
		seps := make([]string, len(l.header))
		for i, h := range l.header {
			seps[i] = strings.Repeat("=", len(h))
		}
		fmt.Fprintln(tw, strings.Join(seps, "\t"))
		for _, r := range l.rows {
			// A cell with a newline would break the columns; the first line is shown. A tab
			// would start a column of its own: it becomes a space.
			cells := make([]string, len(r))
			for i, c := range r {
				first, _, more := strings.Cut(c, "\n")
				if more {
					first += " …"
				}
				cells[i] = strings.ReplaceAll(first, "\t", " ")
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown output format %q: use one of %s", format, strings.Join(formats, ", "))
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}
