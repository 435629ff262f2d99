package runtime

import "context"

// secretRequest is the JSON request of secret_get.
type secretRequest struct {
	ConnID string `json:"conn_id"`
}

// secretResponse is the JSON response of secret_get: what a connection holds that the module
// cannot otherwise see.
type secretResponse struct {
	ConnID   string `json:"conn_id"`
	Login    string `json:"login"`
	Password string `json:"password"`
	Extra    string `json:"extra"`
}

// secretGet hands the module a connection's secret, only if the task's `secrets:` grant names
// the connection; the try's record says that it did (never the value).
func secretGet(_ context.Context, cs *callState, raw []byte, rec *Call) (any, error) {
	var req secretRequest
	if err := decodeRequest(hostFuncSecretGet, raw, &req); err != nil {
		return nil, err
	}
	rec.Target = req.ConnID
	if req.ConnID == "" {
		return nil, badRequest("secret_get: conn_id is missing")
	}
	c, ok := cs.grants.Secrets[req.ConnID]
	if !ok {
		return nil, denied("the secret of connection %q is not granted: add %q to the task's secrets", req.ConnID, req.ConnID)
	}
	resp := secretResponse{ConnID: req.ConnID, Login: c.Login, Password: c.Password, Extra: c.Extra}
	rec.BytesIn = int64(len(resp.Password) + len(resp.Extra))
	return resp, nil
}
