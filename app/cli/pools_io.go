package cli

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/scheduler"
)

// poolEntry is a pool in Airflow's pools file: {"name": {"slots": 3, "description": "..."}}.
type poolEntry struct {
	Slots       *int   `json:"slots"`
	Description string `json:"description"`
}

func poolListing(pools []scheduler.Pool) listing {
	type row struct {
		Name        string `json:"name"`
		Slots       int    `json:"slots"`
		Description string `json:"description"`
	}
	data := make([]row, 0, len(pools))
	l := listing{header: []string{"pool", "slots", "description"}}
	for _, p := range pools {
		data = append(data, row{p.Name, p.Slots, p.Description})
		l.rows = append(l.rows, []string{p.Name, strconv.Itoa(p.Slots), p.Description})
	}
	l.data = data
	return l
}

func (e *env) poolsGet() *cobra.Command {
	cmd := &cobra.Command{Use: "get NAME", Short: "Show one pool", Example: "  wasmflow pools get default_pool -o json", Args: args(1, "NAME")}
	out := outputFlag(cmd)
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		ps, err := e.pools(cmd.Context())
		if err != nil {
			return err
		}
		p, err := ps.get(cmd.Context(), a[0])
		if notFound(err) {
			return fmt.Errorf("pool %q not found (`wasmflow pools list` lists them)", a[0])
		}
		if err != nil {
			return err
		}
		return render(e.io.Stdout, *out, poolListing([]scheduler.Pool{p}))
	})
	return cmd
}

func (e *env) poolsImport() *cobra.Command {
	return &cobra.Command{
		Use:     "import FILE",
		Short:   "Create or change pools from a JSON file of Airflow's format ('-' reads stdin)",
		Long:    `Import pools from a JSON object of name: {"slots": N, "description": D}, as Airflow's pools export writes it. Every pool is checked before any is written.`,
		Example: `  wasmflow pools import pools.json` + "\n" + `  echo '{"api": {"slots": 2, "description": "the API allows 2 calls"}}' | wasmflow pools import -`,
		Args:    args(1, "FILE"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			var in map[string]poolEntry
			if err := e.readJSONFile(a[0], "the pools file", &in); err != nil {
				return err
			}
			names := make([]string, 0, len(in))
			for name, p := range in {
				if p.Slots == nil || *p.Slots < -1 {
					return fmt.Errorf("pool %s in %s: give \"slots\" as a whole number of 0 or more, or -1 for no limit; nothing imported", name, a[0])
				}
				names = append(names, name)
			}
			sort.Strings(names)
			ps, err := e.pools(cmd.Context())
			if err != nil {
				return err
			}
			for _, name := range names {
				if err := ps.set(cmd.Context(), scheduler.Pool{Name: name, Slots: *in[name].Slots, Description: in[name].Description}); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.io.Stdout, "Uploaded %d pool(s)\n", len(names))
			return nil
		}),
	}
}

func (e *env) poolsExport() *cobra.Command {
	return &cobra.Command{
		Use:     "export FILE",
		Short:   "Write every pool to a JSON file of Airflow's format ('-' writes stdout)",
		Example: "  wasmflow pools export pools.json",
		Args:    args(1, "FILE"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			ps, err := e.pools(cmd.Context())
			if err != nil {
				return err
			}
			pools, err := ps.list(cmd.Context())
			if err != nil {
				return err
			}
			out := map[string]poolEntry{}
			for _, p := range pools {
				slots := p.Slots
				out[p.Name] = poolEntry{Slots: &slots, Description: p.Description}
			}
			if err := e.writeJSONFile(a[0], out); err != nil {
				return err
			}
			if a[0] != "-" {
				fmt.Fprintf(e.io.Stdout, "Exported %d pools to %s\n", len(out), a[0])
			}
			return nil
		}),
	}
}
