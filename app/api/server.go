package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// Options configure a Server.
type Options struct {
	// Assets are the built web views served at /, nil for none (API only).
	Assets fs.FS
	// Secret signs sessions and tokens; nil: LoadSecret(home).
	Secret []byte
	// LocalAdmin makes every request an Admin's, with no login: the desktop window, where the
	// local user owns the home. Never set it on a server others can reach.
	LocalAdmin string
	// Desktop adds the desktop window's endpoints (native dialogs, the rendered report).
	Desktop Desktop
	Log     *slog.Logger
}

// Server serves the API and the views of one App.
type Server struct {
	app      *app.App
	opts     Options
	sign     signer
	throttle throttle
	basic    *credCache // basic-auth credentials verified lately
	log      *slog.Logger
	mux      *http.ServeMux
	routes   []route
}

// route is one endpoint: what it needs, what it does, how it is described in the OpenAPI.
type route struct {
	method, path string
	role         Role
	summary      string
	tag          string
	h            handler
	maxBody      int64 // the request body's cap; 0: 8 MiB, for JSON
	answer       answer
}

// answer is what a route answers when it succeeds: its status, and the Go type of its JSON
// (nil for a body that is not JSON, such as text/plain, or none), which openapi.json
// describes by reflection.
type answer struct {
	status      int
	orCreated   bool         // 201 Created when the request made the thing, else status
	dryRun      reflect.Type // the JSON of a dry run, when it is another (openapi.json says it in words)
	alsoText    string       // the content type of the text answered instead of the JSON, by Accept
	contentType string
	body        reflect.Type
}

// answers declares the last route's answer: 200 with the JSON of v's type.
func (s *Server) answers(v any) { s.answersWith(http.StatusOK, v) }

// answersWith declares the last route's answer: status with the JSON of v's type.
func (s *Server) answersWith(status int, v any) {
	s.routes[len(s.routes)-1].answer = answer{status: status, contentType: "application/json", body: reflect.TypeOf(v)}
}

// answersOrCreated declares the last route's answer: 200 with the JSON of v's type, or 201
// when the request created what it names.
func (s *Server) answersOrCreated(v any) {
	s.answers(v)
	s.routes[len(s.routes)-1].answer.orCreated = true
}

// answersDryRun declares the answer of the last route's dry runs: the JSON of v's type.
func (s *Server) answersDryRun(v any) {
	s.routes[len(s.routes)-1].answer.dryRun = reflect.TypeOf(v)
}

// answersAlsoText declares that the last route answers text of contentType instead of its
// JSON unless the request's Accept prefers JSON.
func (s *Server) answersAlsoText(contentType string) {
	s.routes[len(s.routes)-1].answer.alsoText = contentType
}

// answersText declares the last route's answer: 200 with a body of contentType, not JSON.
func (s *Server) answersText(contentType string) {
	s.routes[len(s.routes)-1].answer = answer{status: http.StatusOK, contentType: contentType}
}

// answersNothing declares the last route's answer: 204 No Content (its handler returns
// noContent{}).
func (s *Server) answersNothing() {
	s.routes[len(s.routes)-1].answer = answer{status: http.StatusNoContent}
}

// noContent is the answer 204 No Content.
type noContent struct{}

// checkAnswers makes each route answer 500 when its handler returns another type than the
// route declares; the package's tests turn it on, so every test request checks the table.
var checkAnswers = false

// handler serves one request for p. It returns the JSON answer, or writes the response itself
// and returns nil, or returns an error turned into Airflow's problem shape.
type handler func(w http.ResponseWriter, r *http.Request, p principal) (any, error)

// New returns the server of a; its Handler serves everything.
func New(a *app.App, o Options) (*Server, error) {
	if o.Log == nil {
		o.Log = a.Log
	}
	if o.Secret == nil {
		key, err := LoadSecret(a.Config.Home)
		if err != nil {
			return nil, err
		}
		o.Secret = key
	}
	s := &Server{app: a, opts: o, sign: signer{o.Secret}, throttle: newThrottle(), basic: newCredCache(), log: o.Log, mux: http.NewServeMux()}
	s.register()
	s.registerDesktop()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	s.mux.HandleFunc(apiFallback, s.noEndpoint)
	if o.Assets != nil {
		s.mux.Handle("/", s.static(o.Assets))
	}
	return s, nil
}

// apiFallback is the mux pattern of every /api/ request no route serves.
const apiFallback = "/api/"

// noEndpoint answers a request no route serves: 405 with Allow where the path is an endpoint's
// and only the method is wrong (a client learns what it may send), else 404. The catch-all
// pattern matches every method, so the mux's own 405 never happens: the routes are asked here.
func (s *Server) noEndpoint(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowedMethods(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s does not answer %s: use %s (see /api/v1/openapi.json)",
			r.URL.Path, r.Method, strings.Join(allow, " or ")))
		return
	}
	writeProblem(w, http.StatusNotFound, fmt.Sprintf("no endpoint %s %s: see /api/v1/openapi.json", r.Method, r.URL.Path))
}

// allowedMethods are the methods the routes serve on r's path.
func (s *Server) allowedMethods(r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != apiFallback {
			allow = append(allow, m)
		}
	}
	return allow
}

// Handler serves the API under /api/v1 and the views at /.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'")
		s.mux.ServeHTTP(w, r)
	})
}

func (s *Server) add(method, path string, role Role, tag, summary string, h handler) {
	s.routes = append(s.routes, route{method: method, path: path, role: role, tag: tag, summary: summary, h: h})
}

// wrap authenticates, authorizes and answers one route.
func (s *Server) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p principal
		if rt.role > Public {
			var err error
			if s.opts.LocalAdmin != "" {
				p = principal{Username: s.opts.LocalAdmin, Role: Admin}
			} else if p, err = s.authenticate(r); err != nil {
				var te *throttledError
				if errors.As(err, &te) {
					w.Header().Set("Retry-After", strconv.Itoa(int(te.wait.Seconds())+1))
					writeProblem(w, http.StatusTooManyRequests, err.Error())
					return
				}
				var he *httpError // malformed credentials: not a wrong guess
				if errors.As(err, &he) {
					writeProblem(w, he.status, he.msg)
					return
				}
				// Tell clients they may use basic auth, but not the views' own fetches: a browser
				// would answer with its password popup over the login page.
				if r.Header.Get("Sec-Fetch-Mode") == "" {
					w.Header().Set("WWW-Authenticate", `Basic realm="wasmflow", charset="UTF-8"`)
				}
				writeProblem(w, http.StatusUnauthorized, err.Error())
				return
			}
			if err := s.checkCSRF(r, p); err != nil {
				writeProblem(w, http.StatusForbidden, err.Error())
				return
			}
			if p.Role < rt.role {
				writeProblem(w, http.StatusForbidden, fmt.Sprintf("%s needs the %s role; %s is %s", rt.summary, rt.role, p.Username, p.Role))
				return
			}
		}
		r.Body = http.MaxBytesReader(w, r.Body, cmp.Or(rt.maxBody, 8<<20))
		out, err := rt.h(w, r, p)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if out == nil {
			return
		}
		status := http.StatusOK
		if c, ok := out.(created); ok {
			status, out = http.StatusCreated, c.v
		}
		if checkAnswers {
			if err := rt.answer.check(status, out); err != nil {
				writeProblem(w, http.StatusInternalServerError, rt.method+" "+rt.path+": "+err.Error())
				return
			}
		}
		if _, ok := out.(noContent); ok {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, status, out)
	})
}

// created marks an answer as 201 Created.
type created struct{ v any }

// httpError is an error with its status.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) error {
	return &httpError{http.StatusNotFound, fmt.Sprintf(format, args...)}
}

// fail answers err: 404 for what does not exist, 400 for a change refused (the service layer
// says why), 500 for the rest (logged, not shown: it may name internals).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var he *httpError
	var pe *tasks.ParamsError
	switch {
	case errors.As(err, &pe):
		writeProblemOf(w, problem{Status: http.StatusBadRequest, Detail: err.Error(), Errors: pe.Issues})
	case errors.As(err, &he):
		writeProblem(w, he.status, he.msg)
	case errors.Is(err, scheduler.ErrNotFound):
		writeProblem(w, http.StatusNotFound, err.Error())
	case errors.Is(err, app.ErrConflict):
		writeProblem(w, http.StatusConflict, err.Error())
	case r.Method != http.MethodGet:
		writeProblem(w, http.StatusBadRequest, err.Error())
	default:
		s.log.Error("API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeProblem(w, http.StatusInternalServerError, "internal error: see the server's log")
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

// problem is Airflow's error shape (RFC 7807).
type problem struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Type   string `json:"type"`
	// Errors lists each param a trigger's conf breaks (an RFC 7807 extension member), so the
	// trigger form can show each reason at its field; detail says the same as text.
	Errors []tasks.ParamIssue `json:"errors,omitempty"`
}

func writeProblem(w http.ResponseWriter, status int, detail string) {
	writeProblemOf(w, problem{Status: status, Detail: detail})
}

func writeProblemOf(w http.ResponseWriter, p problem) {
	p.Title, p.Type = http.StatusText(p.Status), "about:blank"
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// decode reads a JSON body into v, refusing unknown fields so a typo is not silently ignored.
func decode(r *http.Request, v any) error {
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return badRequest("the request body is larger than %d bytes", mbe.Limit)
	} else if err != nil {
		return badRequest("the request body could not be read: %v", err)
	}
	// Refused, not decoded: the decoder would replace the bad bytes with U+FFFD silently.
	if err := app.CheckUTF8JSON("", body); err != nil {
		return badRequest("%v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if strings.HasPrefix(err.Error(), "json: unknown field ") {
			return badRequest("the request body is not valid JSON for this endpoint: %v (it takes %s)", err, strings.Join(jsonFields(v), ", "))
		}
		return badRequest("the request body is not valid JSON for this endpoint: %v", err)
	}
	return nil
}

// jsonFields are the JSON names of the fields of the struct v points to: what a body may hold.
func jsonFields(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for f := range t.Fields() {
		if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}

// page is a list request's limit and offset (Airflow's: default 100).
type page struct{ limit, offset int }

func pageOf(r *http.Request) (page, error) {
	p := page{limit: 100}
	q := r.URL.Query()
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return p, badRequest("limit must be a number from 1 to 1000, not %q", v)
		}
		p.limit = n
	}
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, badRequest("offset must be a number from 0, not %q", v)
		}
		p.offset = n
	}
	return p, nil
}

// slice returns the page's part of n items as [from, to).
func (p page) slice(n int) (int, int) {
	from := min(p.offset, n)
	return from, min(from+p.limit, n)
}

func boolParam(r *http.Request, name string) (*bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return nil, badRequest("%s must be true or false, not %q", name, v)
	}
	return &b, nil
}

// static serves the built views; paths that are not files get index.html (the views route
// by the URL's fragment, but a reload of a deep link must still find the app).
func (s *Server) static(assets fs.FS) http.Handler {
	files := http.FileServerFS(assets)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			writeProblem(w, http.StatusMethodNotAllowed, "the web views are only read (GET)")
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = "index.html"
		}
		if _, err := fs.Stat(assets, name); err != nil {
			r.URL.Path = "/"
		}
		if strings.HasPrefix(name, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable") // hashed names
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

// check says how an answer differs from the declared one.
func (a answer) check(status int, out any) error {
	if _, ok := out.(noContent); ok {
		status = http.StatusNoContent
	}
	if status != a.status && !(a.orCreated && status == http.StatusCreated) {
		return fmt.Errorf("answered %d, the route table declares %d", status, a.status)
	}
	if status == http.StatusNoContent {
		return nil
	}
	if a.body == nil {
		return fmt.Errorf("answered JSON (a %T), the route table declares %s", out, cmp.Or(a.contentType, "no answer"))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	err = conforms(schemaOf(a.body), v, "answer")
	if err != nil && a.dryRun != nil && conforms(schemaOf(a.dryRun), v, "answer") == nil {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("the answer breaks its declared type %v: %w", a.body, err)
	}
	return nil
}
