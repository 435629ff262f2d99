package api

import (
	"fmt"
	"net/http"
	"strings"
)

// configOption and configSection are Airflow's Config JSON: sections of key/value options.
type configOption struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type configSection struct {
	Name    string         `json:"name"`
	Options []configOption `json:"options"`
}

// getConfig answers the resolved settings, in the order `wasmflow config list` shows them,
// secrets masked. As Airflow's, it answers 403 unless the home chose to expose them
// (api.expose_config): a database URL or a folder layout is a stranger's map of the machine.
func (s *Server) getConfig(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	if !s.app.Config.API.ExposeConfig {
		return nil, &httpError{http.StatusForbidden, "this server does not expose its configuration: set expose_config = true under [api] " +
			"in wasmflow.toml (or WASMFLOW__API__EXPOSE_CONFIG=true) and restart it; secrets are masked either way"}
	}
	sections := []configSection{}
	index := map[string]int{}
	for _, st := range s.app.Config.Settings() {
		i, ok := index[st.Section]
		if !ok {
			i, index[st.Section] = len(sections), len(sections)
			sections = append(sections, configSection{Name: st.Section, Options: []configOption{}})
		}
		sections[i].Options = append(sections[i].Options, configOption{Key: st.Key, Value: st.Value})
	}
	// Airflow answers the config file's text to a client that asks for text/plain.
	if accept := r.Header.Get("Accept"); strings.Contains(accept, "text/plain") && !strings.Contains(accept, "application/json") {
		var b strings.Builder
		for _, sec := range sections {
			fmt.Fprintf(&b, "[%s]\n", sec.Name)
			for _, o := range sec.Options {
				fmt.Fprintf(&b, "%s = %s\n", o.Key, o.Value)
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte(b.String()))
		return nil, nil
	}
	return configInfo{Sections: sections}, nil
}
