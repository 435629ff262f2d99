package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// readJSONFile reads FILE ("-": stdin) holding a JSON object, for the import commands.
func (e *env) readJSONFile(path, what string, into any) error {
	var b []byte
	var err error
	if path == "-" {
		b, err = io.ReadAll(e.io.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", what, err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("%s is not the JSON expected: %v", path, err)
	}
	return nil
}

// writeJSONFile writes v as indented JSON to FILE ("-": stdout), for the export commands.
func (e *env) writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if path == "-" {
		_, err = e.io.Stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o600) // variables and pools may hold what is not for everyone
}
