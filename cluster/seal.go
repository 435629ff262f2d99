package cluster

import (
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"strconv"

	"golang.org/x/crypto/chacha20poly1305"
)

// The data channel's bodies, requests' and responses' alike, are sealed with
// XChaCha20-Poly1305 under a key derived from the cluster secret: what crosses the network (a
// try's env and args, module bytes, log lines, XComs) is unreadable without the secret, as
// gossip is. Its 24-byte nonces are random per message, which is safe for any number of
// messages under one key (a 12-byte nonce is not, past a few billion).
//
// The HMAC signature stays: it covers the headers and the sealed body's sha256, so a
// stranger's request is still refused from its head, before a byte of its body is read or
// decrypted. The AEAD's additional data binds a body to its place (a request's method, path,
// sender and time; a response's request signature and status), so a sealed body is not
// accepted anywhere else, even by a node that skipped the signature.
const sealOverhead = chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead

// errUnsealed is why a signed body is refused: it does not decrypt with this cluster's key.
var errUnsealed = errors.New("the body does not decrypt with this cluster's key: it was altered, or sealed for another request")

// sealer seals and opens data channel bodies.
type sealer struct{ aead cipher.AEAD }

// newSealer derives the data channel's encryption key from the cluster secret with HKDF, apart
// from the gossip key and the HMAC key (a leak of one gives away neither other).
func newSealer(secret string) sealer {
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "wasmflow data channel encryption v1", chacha20poly1305.KeySize)
	if err != nil {
		panic(err) // only for a key length HKDF-SHA256 cannot give
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		panic(err) // only for a key of the wrong size
	}
	return sealer{aead: aead}
}

// seal returns nonce ‖ ciphertext ‖ tag of plain, bound to ad.
func (s sealer) seal(plain []byte, ad string) []byte {
	out := make([]byte, chacha20poly1305.NonceSizeX, len(plain)+sealOverhead)
	if _, err := rand.Read(out); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return s.aead.Seal(out, out, plain, []byte(ad))
}

// open decrypts a sealed body bound to ad, in place: the plaintext shares sealed's memory, so a
// module of hundreds of MiB is not held twice.
func (s sealer) open(sealed []byte, ad string) ([]byte, error) {
	if len(sealed) < sealOverhead {
		return nil, errUnsealed
	}
	nonce, ct := sealed[:chacha20poly1305.NonceSizeX], sealed[chacha20poly1305.NonceSizeX:]
	plain, err := s.aead.Open(ct[:0], nonce, ct, []byte(ad))
	if err != nil {
		return nil, errUnsealed
	}
	return plain, nil
}

// requestAD is what a request's body is bound to.
func requestAD(q signedRequest) string {
	return "req\n" + q.method + "\n" + q.path + "\n" + q.node + "\n" + strconv.FormatInt(q.unix, 10)
}

// responseAD is what a response's body is bound to: the request it answers, and its status.
func responseAD(reqSig string, status int) string {
	return "resp\n" + reqSig + "\n" + strconv.Itoa(status)
}
