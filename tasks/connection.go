package tasks

// Connection is Airflow's connection: how to reach one external system, with its credentials.
// It is shared by the metastore (stored, the password encrypted), the scheduler (resolving a
// task's grants for a try) and the runtime (the host adds the credentials to a granted call, so
// the module never sees them). Field names are Airflow's.
type Connection struct {
	ConnID      string
	ConnType    string // http, sqlite, postgres, ...
	Description string
	Host        string
	Port        int // 0 = the type's default
	Schema      string
	Login       string
	Password    string // secret: never logged, listed or answered by the API
	Extra       string // JSON object as text; may hold secrets too (e.g. a bearer token)
}

// Grants are what a task may reach outside its mounts (SPEC.md §8): deny by default.
type Grants struct {
	// Connections are the conn_ids the task may use; the host adds their credentials.
	Connections []string
	// AllowHosts are hosts plain outbound HTTP may reach: "api.example.com", "*.example.org",
	// optionally with ":port".
	AllowHosts []string
	// Secrets are the conn_ids whose secrets the module itself may read through the host
	// module; the try's record says that it did.
	Secrets []string
}

// Empty reports whether nothing is granted.
func (g Grants) Empty() bool {
	return len(g.Connections) == 0 && len(g.AllowHosts) == 0 && len(g.Secrets) == 0
}
