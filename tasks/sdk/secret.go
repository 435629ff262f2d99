package sdk

// ConnSecret is what a connection holds that the module may read only with a `secrets:` grant.
type ConnSecret struct {
	ConnID   string `json:"conn_id"`
	Login    string `json:"login"`
	Password string `json:"password"`
	Extra    string `json:"extra"` // JSON text
}

// Secret reads the secret of connection connID, which the task's `secrets:` must name; the
// try's record says that it did. Prefer a `connections:` grant where the host can add the
// credentials itself (HTTPClient, Query), so the module never holds them.
func Secret(connID string) (ConnSecret, error) {
	var s ConnSecret
	err := call("secret_get", struct {
		ConnID string `json:"conn_id"`
	}{connID}, &s)
	return s, err
}
