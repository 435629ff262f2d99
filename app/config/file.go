package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

func (c *Config) loadFile(path string) error {
	var raw map[string]any
	_, err := toml.DecodeFile(path, &raw)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var problems []string
	for section, v := range raw {
		values, ok := v.(map[string]any)
		if !ok {
			hint := ""
			for _, k := range keys {
				if k.name == section {
					hint = fmt.Sprintf(": put it under [%s]", k.section)
					break
				}
			}
			problems = append(problems, fmt.Sprintf("%s: %s = ... is outside any [section]%s", path, section, hint))
			continue
		}
		for name, v := range values {
			k, ok := lookup(section, name)
			if !ok {
				problems = append(problems, fmt.Sprintf("%s: %s", path, unknownKey(section, name)))
				continue
			}
			if list, ok := v.([]any); ok {
				// A TOML array of folders is the path list it reads naturally as.
				v = joinList(list)
			}
			if err := k.set(c, fmt.Sprint(v)); err != nil {
				problems = append(problems, fmt.Sprintf("%s: [%s] %s: %v", path, section, name, err))
			}
			c.set[section+"."+name] = true
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("%s", strings.Join(problems, "\n"))
	}
	return nil
}

func joinList(list []any) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, string(os.PathListSeparator))
}

// FileName is the configuration file in the home.
const FileName = "wasmflow.toml"

// SetInFile sets [section] name = value in home's wasmflow.toml, creating the file or the
// section when missing and keeping every other line (comments included) as it is. The file
// is replaced atomically. It refuses a key this version does not know, and one an environment
// variable overrides, since the change would have no effect.
func SetInFile(home, section, name, value string, getenv func(string) string) error {
	if _, ok := lookup(section, name); !ok {
		return errors.New(unknownKey(section, name))
	}
	if env := EnvName(section, name); getenv != nil && getenv(env) != "" {
		return fmt.Errorf("%s is set in the environment, which wins over %s: unset it to change [%s] %s here", env, FileName, section, name)
	}
	path := filepath.Join(home, FileName)
	if real, err := filepath.EvalSymlinks(path); err == nil {
		path = real // a linked wasmflow.toml (dotfiles) stays a link to the edited file
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(map[string]string{name: value}); err != nil {
		return err
	}
	line := strings.TrimSpace(b.String())
	lines := strings.Split(strings.TrimRight(string(old), "\n"), "\n")
	if len(old) == 0 {
		lines = nil
	}
	current, header, done := "", -1, false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			current = strings.Trim(strings.SplitN(t, "#", 2)[0], " []")
			if current == section {
				header = i
			}
			continue
		}
		if current != section {
			continue
		}
		if k, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == name {
			lines[i], done = line, true
		}
	}
	switch {
	case done:
	case header >= 0:
		lines = append(lines[:header+1], append([]string{line}, lines[header+1:]...)...)
	default:
		if len(lines) > 0 {
			lines = append(lines, "")
		}
		lines = append(lines, "["+section+"]", line)
	}
	data := []byte(strings.Join(lines, "\n") + "\n")
	// Check the result parses before it replaces a working file.
	if err := toml.Unmarshal(data, new(map[string]any)); err != nil {
		return fmt.Errorf("the edited %s would not parse: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), FileName+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
