package cluster

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/wasmflow/wasmflow/tasks"
)

// The data channel is authenticated, not encrypted, so a try's connections — passwords and
// tokens, decrypted by the server — cross it sealed: AES-256-GCM keyed by the cluster secret
// (derived apart from the gossip and HMAC keys), bound to the try's id so a sealed box cannot
// be replayed into another try.

// connectionsKey is the sealing key, derived apart from gossipKey and channelKey.
func connectionsKey(secret string) []byte {
	k := sha256.Sum256([]byte("wasmflow connections\x00" + secret))
	return k[:]
}

// sealConnections encrypts a try's connections for the worker that runs try id; nil when
// there are none.
func sealConnections(secret, id string, conns map[string]tasks.Connection) ([]byte, error) {
	if len(conns) == 0 {
		return nil, nil
	}
	plain, err := json.Marshal(conns)
	if err != nil {
		return nil, err
	}
	aead, err := connectionsAEAD(secret)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, []byte(id)), nil
}

// openConnections decrypts what sealConnections sealed for try id.
func openConnections(secret, id string, sealed []byte) (map[string]tasks.Connection, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	aead, err := connectionsAEAD(secret)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("open the try's connections: too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], []byte(id))
	if err != nil {
		return nil, fmt.Errorf("open the try's connections: %w", err)
	}
	var conns map[string]tasks.Connection
	if err := json.Unmarshal(plain, &conns); err != nil {
		return nil, fmt.Errorf("open the try's connections: %w", err)
	}
	return conns, nil
}

func connectionsAEAD(secret string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(connectionsKey(secret))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
