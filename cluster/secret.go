package cluster

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
)

// ErrNoSecret is returned when a node is started without a cluster secret: gossip and the data
// channel are never left unauthenticated.
var ErrNoSecret = errors.New("the cluster secret is empty: set cluster.secret_key (WASMFLOW__CLUSTER__SECRET_KEY) or --secret")

// NewSecret returns a random cluster secret (32 random bytes, URL-safe base64), for a server
// started without one to print in its join command.
func NewSecret() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// gossipKey is memberlist's SecretKey: AES-256, the sha256 of the user's secret, so any
// string works as a secret.
func gossipKey(secret string) []byte {
	k := sha256.Sum256([]byte(secret))
	return k[:]
}

// channelKey keys the data channel's HMACs. It is derived apart from the gossip key, so a
// leak of one (in a log, a core dump) does not give away the other.
func channelKey(secret string) []byte {
	k := sha256.Sum256([]byte("wasmflow data channel\x00" + secret))
	return k[:]
}

// Headers of the data channel. Every request carries the sender's name, the time it was signed
// and the signature; every response carries a signature bound to its request's.
const (
	headerNode      = "X-Wasmflow-Node"
	headerTime      = "X-Wasmflow-Time"
	headerSignature = "X-Wasmflow-Signature"
)

// maxClockSkew bounds how old (or how far in the future) a signed request may be, so a
// captured request cannot be replayed later. Nodes' clocks must agree within it.
const maxClockSkew = 5 * time.Minute

// signer signs and checks data channel messages with the cluster secret.
type signer struct{ key []byte }

// request is the signature of a request: HMAC-SHA256 over the method, path, sender, time and
// the sha256 of the body, hex encoded.
func (s signer) request(method, path, node string, unix int64, body []byte) string {
	sum := sha256.Sum256(body)
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte("req\n" + method + "\n" + path + "\n" + node + "\n" + strconv.FormatInt(unix, 10) + "\n"))
	mac.Write(sum[:])
	return hex.EncodeToString(mac.Sum(nil))
}

// response is the signature of a response to the request signed reqSig: a response cannot be
// forged, nor replayed to another request.
func (s signer) response(reqSig string, status int, body []byte) string {
	sum := sha256.Sum256(body)
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte("resp\n" + reqSig + "\n" + strconv.Itoa(status) + "\n"))
	mac.Write(sum[:])
	return hex.EncodeToString(mac.Sum(nil))
}

// errBadSignature and errStale are why a request is refused with 401.
var (
	errBadSignature = errors.New("bad or missing signature: the sender does not have this cluster's secret")
	errStale        = errors.New("signed too long ago or in the future: the nodes' clocks differ by more than 5 minutes")
)

// check verifies a request's signature and age.
func (s signer) check(method, path, node, unix, sig string, body []byte, now time.Time) error {
	t, err := strconv.ParseInt(unix, 10, 64)
	if err != nil || sig == "" {
		return errBadSignature
	}
	want := s.request(method, path, node, t, body)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return errBadSignature
	}
	if d := now.Sub(time.Unix(t, 0)); d > maxClockSkew || d < -maxClockSkew {
		return errStale
	}
	return nil
}
