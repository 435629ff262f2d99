package api

import (
	"context"
	"encoding/json"
	"net/http"
)

// Desktop is what the desktop window adds to the API it serves to its own views: native
// dialogs, and the report that the views rendered. Only the window sets it (Options.Desktop);
// a server never has these endpoints.
type Desktop interface {
	// Ready records that the views rendered view and whether the live event stream delivers.
	Ready(view string, liveEvents bool)
	// ImportModules opens the native file dialog and imports the picked .wasm files into the
	// DAGs folder; nothing (and no error) when the user cancels.
	ImportModules(ctx context.Context) (any, error)
	// SetUnsaved records whether the views hold unsaved work (the DAG editor), so quitting
	// asks first.
	SetUnsaved(unsaved bool)
	// PickDagsFolder opens the native folder dialog and switches to the folder picked; "" when
	// the user cancels.
	PickDagsFolder(ctx context.Context) (string, error)
}

func (s *Server) registerDesktop() {
	if s.opts.Desktop == nil {
		return
	}
	const tag = "Desktop"
	s.add(http.MethodPost, "/api/v1/desktop/ready", Viewer, tag, "The window's views rendered (desktop only)", s.desktopReady)
	s.answers(anyObject{})
	s.add(http.MethodPost, "/api/v1/desktop/unsaved", Viewer, tag, "The views hold unsaved work, or no longer (desktop only)", s.desktopUnsaved)
	s.answers(anyObject{})
	s.add(http.MethodPost, "/api/v1/desktop/importModules", Op, tag, "Import .wasm modules picked in a native dialog (desktop only)", s.desktopImport)
	s.answers(anyObject{})
	s.add(http.MethodPost, "/api/v1/desktop/dagsFolder", Admin, tag, "Pick the DAGs folder in a native dialog (desktop only)", s.desktopDagsFolder)
	s.answers(anyObject{})
}

func (s *Server) desktopReady(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	var body struct {
		View       string `json:"view"`
		LiveEvents bool   `json:"live_events"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return nil, badRequest("body: %v (send {\"view\": \"#/\", \"live_events\": true})", err)
	}
	s.opts.Desktop.Ready(body.View, body.LiveEvents)
	return map[string]bool{"ok": true}, nil
}

func (s *Server) desktopUnsaved(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	var body struct {
		Unsaved bool `json:"unsaved"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		return nil, badRequest("body: %v (send {\"unsaved\": true})", err)
	}
	s.opts.Desktop.SetUnsaved(body.Unsaved)
	return map[string]bool{"ok": true}, nil
}

func (s *Server) desktopImport(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	mods, err := s.opts.Desktop.ImportModules(r.Context())
	if err != nil {
		return nil, err
	}
	if mods == nil {
		mods = []any{}
	}
	return map[string]any{"modules": mods}, nil
}

func (s *Server) desktopDagsFolder(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	dir, err := s.opts.Desktop.PickDagsFolder(r.Context())
	if err != nil {
		return nil, err
	}
	out := map[string]*string{"dags_folder": nil}
	if dir != "" {
		out["dags_folder"] = &dir
	}
	return out, nil
}
