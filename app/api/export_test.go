package api

// RouteSpec is one row of the route table, for tests that must cover every endpoint.
type RouteSpec struct {
	Method, Path string
	Role         Role
}

// RouteTable lists the endpoints s serves, as routes.go registers them.
func (s *Server) RouteTable() []RouteSpec {
	out := make([]RouteSpec, len(s.routes))
	for i, rt := range s.routes {
		out[i] = RouteSpec{Method: rt.method, Path: rt.path, Role: rt.role}
	}
	return out
}

// ThrottledNames is how many user names the login throttle remembers.
func (s *Server) ThrottledNames() int { return s.throttle.size() }

// SetThrottleCap changes how many user names the login throttle remembers at most, so a test
// can fill it through HTTP without thousands of bcrypt checks.
func (s *Server) SetThrottleCap(n int) { s.throttle.limit = n }

// ResourceOf is Airflow's resource of a route's path, as the roles' permissions name it.
func ResourceOf(path string) string { return resourceOf(path) }

// Every test request checks that its route answers the type the route table declares.
func init() { checkAnswers = true }

// SkipAnswerChecks turns the route table's answer check off for t: for the tests that measure
// what a request allocates, which the check (the answer decoded again) would swamp.
func SkipAnswerChecks(t interface{ Cleanup(func()) }) {
	checkAnswers = false
	t.Cleanup(func() { checkAnswers = true })
}
