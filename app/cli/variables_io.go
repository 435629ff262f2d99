package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/scheduler"
)

// jsonValue stores a JSON value as Airflow's Variable.set(serialize_json=True) does: indented.
func jsonValue(v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return string(b), err
}

func (e *env) variablesImport() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Create or replace variables from a JSON file of Airflow's format ('-' reads stdin)",
		Long: `Import variables from a JSON object of key: value, as Airflow's variables export writes it:
a string value is stored as it is, any other JSON value as JSON; {"value": V, "description": D}
sets the description too.`,
		Example: `  wasmflow variables import vars.json
  echo '{"table": "orders", "limits": {"rows": 100}}' | wasmflow variables import -`,
		Args: args(1, "FILE"),
	}
	onExisting := cmd.Flags().StringP("action-on-existing-key", "a", "overwrite", "what to do with a key that exists: overwrite, fail or skip")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		if *onExisting != "overwrite" && *onExisting != "fail" && *onExisting != "skip" {
			return usageError{fmt.Errorf("--action-on-existing-key %q: use overwrite, fail or skip", *onExisting)}
		}
		var in map[string]json.RawMessage
		if err := e.readJSONFile(a[0], "the variables file", &in); err != nil {
			return err
		}
		vs, err := e.variables(cmd.Context())
		if err != nil {
			return err
		}
		keys := make([]string, 0, len(in))
		for k := range in {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var vars []scheduler.Variable
		for _, k := range keys {
			v, err := variableFromJSON(k, in[k])
			if err != nil {
				return err
			}
			if _, err := vs.get(cmd.Context(), k); err == nil {
				if *onExisting == "fail" {
					return fmt.Errorf("variable %s exists already; nothing imported (--action-on-existing-key overwrite or skip)", k)
				}
				if *onExisting == "skip" {
					continue
				}
			} else if !notFound(err) {
				return err
			}
			vars = append(vars, v)
		}
		n := 0
		for _, v := range vars {
			if err := vs.set(cmd.Context(), v); err != nil {
				fmt.Fprintf(e.io.Stderr, "Variable import failed: %v\n", err)
				continue
			}
			n++
		}
		fmt.Fprintf(e.io.Stdout, "%d of %d variables successfully updated.\n", n, len(in))
		if n < len(vars) {
			return fmt.Errorf("%d variable(s) failed to be updated", len(vars)-n)
		}
		return nil
	})
	return cmd
}

// variableFromJSON reads one entry of an Airflow variables file.
func variableFromJSON(key string, raw json.RawMessage) (scheduler.Variable, error) {
	var withDesc struct {
		Value       *json.RawMessage `json:"value"`
		Description string           `json:"description"`
	}
	v := scheduler.Variable{Key: key}
	if json.Unmarshal(raw, &withDesc) == nil && withDesc.Value != nil {
		raw, v.Description = *withDesc.Value, withDesc.Description
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		v.Value = s
		return v, nil
	}
	var parsed any
	if err := json.Unmarshal(raw, &parsed); err != nil {
		return v, fmt.Errorf("variable %s: %v", key, err)
	}
	var err error
	v.Value, err = jsonValue(parsed)
	return v, err
}

func (e *env) variablesExport() *cobra.Command {
	return &cobra.Command{
		Use:     "export FILE",
		Short:   "Write every variable to a JSON file of Airflow's format ('-' writes stdout)",
		Long:    `Export the variables as a JSON object of key: value (a value that is JSON as that JSON), with {"value": V, "description": D} for one that has a description, as Airflow's variables export. The values are not masked.`,
		Example: "  wasmflow variables export vars.json",
		Args:    args(1, "FILE"),
		RunE: e.run(func(cmd *cobra.Command, a []string) error {
			vs, err := e.variables(cmd.Context())
			if err != nil {
				return err
			}
			vars, err := vs.unmasked(cmd.Context()) // the values themselves, not the masked listing
			if err != nil {
				return err
			}
			out := map[string]any{}
			for _, v := range vars {
				var val any = v.Value
				var parsed any
				if json.Unmarshal([]byte(v.Value), &parsed) == nil {
					val = parsed
				}
				if v.Description != "" {
					val = map[string]any{"value": val, "description": v.Description}
				}
				out[v.Key] = val
			}
			if err := e.writeJSONFile(a[0], out); err != nil {
				return err
			}
			if a[0] != "-" {
				fmt.Fprintf(e.io.Stdout, "%d variables successfully exported to %s\n", len(out), a[0])
			}
			return nil
		}),
	}
}

// setJSON checks and reformats the value of `variables set -j`.
func setJSON(value string) (string, error) {
	var v any
	if err := json.Unmarshal([]byte(value), &v); err != nil {
		return "", usageError{errors.New("-j: the value is not JSON: " + err.Error())}
	}
	return jsonValue(v)
}
