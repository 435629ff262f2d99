package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wasmflow/wasmflow/tasks/scaffold"
)

func (e *env) tasksInit() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "init NAME",
		Short: "Write a new task module (Go with the SDK vendored, or C), ready to build",
		Long: `Write a new task module in a folder of its own, ready to build to NAME.wasm and name in a DAG:
Go (the wasmflow SDK vendored, so it builds offline with no replace directive) or C (with
wasmflow.h, the host functions). The folder must not exist yet, or be empty.`,
		Example: `  wasmflow tasks init load_orders                  # ./load_orders, in Go
  wasmflow tasks init load_orders --lang c --dir dags/modules/load_orders`,
		Args: args(1, "NAME"),
	}
	lang := cmd.Flags().String("lang", "go", "the module's language: "+strings.Join(scaffold.Langs, " or "))
	dir := cmd.Flags().String("dir", "", "the folder to write (default: ./NAME)")
	cmd.RunE = e.run(func(cmd *cobra.Command, a []string) error {
		name, folder := a[0], *dir
		if folder == "" {
			folder = name
		}
		files, err := scaffold.Write(folder, name, *lang)
		if err != nil {
			return usageError{err}
		}
		w := e.io.Stdout
		fmt.Fprintf(w, "Wrote a %s task module in %s:\n", langName(*lang), folder)
		for _, f := range files {
			if !strings.HasPrefix(f, "vendor/") {
				fmt.Fprintf(w, "  %s\n", filepath.Join(folder, f))
			}
		}
		if *lang == "go" {
			fmt.Fprintf(w, "  %s (the wasmflow SDK)\n", filepath.Join(folder, "vendor"))
		}
		fmt.Fprintf(w, "Next:\n  make -C %s   (builds %s)\n", folder, filepath.Join(folder, name+".wasm"))
		fmt.Fprintf(w, "  in a DAG file: module: <path from the DAG file>/%s.wasm\n", name)
		fmt.Fprintf(w, "  wasmflow tasks test DAG %s 2024-03-01\n", name)
		return nil
	})
	return cmd
}

func langName(lang string) string {
	if lang == "c" {
		return "C"
	}
	return "Go"
}
