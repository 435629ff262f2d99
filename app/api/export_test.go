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
