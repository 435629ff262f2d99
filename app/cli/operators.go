package cli

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/wasmflow/wasmflow/tasks/operators"
)

// operatorsCmd is `wasmflow operators`: the built-in operators a task names with `operator:`.
func (e *env) operatorsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "operators", Short: "The built-in operators (operator: NAME in a task) and their fields"}
	list := &cobra.Command{Use: "list", Short: "List every built-in operator with its fields (type, required, templated, doc)", Args: args(0)}
	out := outputFlag(list)
	list.RunE = e.run(func(cmd *cobra.Command, _ []string) error {
		type row struct {
			*operators.Operator
			Built bool `json:"built"` // false: this binary was built without its module (make build)
		}
		var data []row
		l := listing{header: []string{"operator", "field", "type", "required", "templated", "doc"}}
		for _, o := range operators.All() {
			data = append(data, row{o, operators.Built(o.Name)})
			about := "as Airflow's " + o.Airflow
			if !operators.Built(o.Name) {
				about += "; NOT BUILT into this binary: build wasmflow with `make build`"
			}
			l.rows = append(l.rows, []string{o.Name, "", "", "", "", about})
			for _, f := range o.Fields {
				typ := string(f.Type)
				if len(f.Values) > 0 {
					typ += " (" + strings.Join(f.Values, ", ") + ")"
				}
				l.rows = append(l.rows, []string{"", f.Name, typ, yesNo(f.Required), yesNo(f.Templated), f.Doc})
			}
		}
		l.data = data
		return render(e.io.Stdout, *out, l)
	})
	cmd.AddCommand(list)
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
