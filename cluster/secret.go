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

// Headers of the data channel. Every request carries the sender's name, the time it was
// signed, the sha256 of its body and the signature of all of these with its method, path and
// Content-Length; every response carries a signature bound to its request's. The receiver
// checks the headers' signature before it reads a byte of the body, and the body against its
// signed sha256 before it acts on it: a stranger's request costs no more than its headers.
const (
	headerNode      = "X-Wasmflow-Node"
	headerTime      = "X-Wasmflow-Time"
	headerBody      = "X-Wasmflow-Body-Sha256"
	headerSignature = "X-Wasmflow-Signature"
)

// maxClockSkew bounds how old (or how far in the future) a signed request may be, so a
// captured request cannot be replayed later. Nodes' clocks must agree within it.
const maxClockSkew = 5 * time.Minute

// signer signs and checks data channel messages with the cluster secret.
type signer struct{ key []byte }

// signedRequest is what a request's signature covers: everything the receiver checks before
// it reads the body, the body itself through its sha256.
type signedRequest struct {
	method, path, node string
	unix               int64
	length             int64  // Content-Length
	bodySHA256         string // hex
}

func newSignedRequest(method, path, node string, unix int64, body []byte) signedRequest {
	sum := sha256.Sum256(body)
	return signedRequest{method: method, path: path, node: node, unix: unix, length: int64(len(body)), bodySHA256: hex.EncodeToString(sum[:])}
}

// request is the signature of a request: HMAC-SHA256 over its signedRequest, hex encoded.
// "req2" sets it apart from the signature of earlier builds, which covered the body itself.
func (s signer) request(q signedRequest) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte("req2\n" + q.method + "\n" + q.path + "\n" + q.node + "\n" + strconv.FormatInt(q.unix, 10) + "\n" +
		strconv.FormatInt(q.length, 10) + "\n" + q.bodySHA256))
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

// errBadSignature, errStale and errBodyMismatch are why a request is refused with 401.
var (
	errBadSignature = errors.New("bad or missing signature: the sender does not have this cluster's secret")
	errStale        = errors.New("signed too long ago or in the future: the nodes' clocks differ by more than 5 minutes")
	errBodyMismatch = errors.New("the body does not match the sha256 it was signed with")
)

// check verifies a request's signature and age from its headers alone (unix: the time header
// as sent); the body is checked afterwards against q.bodySHA256 by checkBody.
func (s signer) check(q signedRequest, unix, sig string, now time.Time) error {
	t, err := strconv.ParseInt(unix, 10, 64)
	if err != nil || sig == "" || len(q.bodySHA256) != sha256.Size*2 {
		return errBadSignature
	}
	q.unix = t
	if !hmac.Equal([]byte(s.request(q)), []byte(sig)) {
		return errBadSignature
	}
	if d := now.Sub(time.Unix(t, 0)); d > maxClockSkew || d < -maxClockSkew {
		return errStale
	}
	return nil
}

// checkBody verifies that body is the one whose sha256 (hex) a checked signature covers.
func checkBody(bodySHA256 string, body []byte) error {
	sum := sha256.Sum256(body)
	if !hmac.Equal([]byte(hex.EncodeToString(sum[:])), []byte(bodySHA256)) {
		return errBodyMismatch
	}
	return nil
}
