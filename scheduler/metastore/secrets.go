package metastore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// SecretKey encrypts what must never be readable in the metastore file: connection passwords
// and extras. It is AES-256-GCM with a 32-byte key written as url-safe base64, the form of
// Airflow's core.fernet_key (`python -c "from cryptography.fernet import Fernet;
// print(Fernet.generate_key().decode())"` makes one too). Each value is sealed with its
// conn_id and field as associated data, so a ciphertext copied onto another row or field does
// not open.
type SecretKey struct {
	aead   cipher.AEAD
	source string // where the key came from, for errors: the config key or the key file
}

// ErrSecretKey marks an error about the secret key: none loaded, malformed, or not the key the
// secrets were sealed with. It is the server's to fix, not the request's.
var ErrSecretKey = errors.New("secret key")

type keyError struct{ msg string }

func (e *keyError) Error() string        { return e.msg }
func (e *keyError) Is(target error) bool { return target == ErrSecretKey }

func keyErrorf(format string, args ...any) error { return &keyError{fmt.Sprintf(format, args...)} }

// sealedPrefix starts every sealed value; it names the scheme, for a later change of it.
const sealedPrefix = "gcm1:"

// GenerateSecretKey returns a new random key in its text form.
func GenerateSecretKey() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate the secret key: %w", err)
	}
	return base64.URLEncoding.EncodeToString(b), nil
}

// NewSecretKey reads a key in its text form; source says where it came from ("core.fernet_key"
// or the key file's path) and is named by every error about it.
func NewSecretKey(text, source string) (*SecretKey, error) {
	text = strings.TrimSpace(text)
	raw, err := base64.URLEncoding.DecodeString(text)
	if err != nil {
		raw, err = base64.RawURLEncoding.DecodeString(text)
	}
	if err != nil || len(raw) != 32 {
		return nil, keyErrorf("the secret key in %s is not 32 bytes of url-safe base64 "+
			"(as Airflow's fernet_key); remove it to have one generated, or set a valid one", source)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &SecretKey{aead: aead, source: source}, nil
}

// Source says where the key came from.
func (k *SecretKey) Source() string { return k.source }

// seal encrypts plain for one field of one row; "" stays "" (nothing to hide, as Airflow
// stores a missing password as NULL).
func (k *SecretKey) seal(plain, connID, field string) (string, error) {
	if plain == "" {
		return "", nil
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := k.aead.Seal(nonce, nonce, []byte(plain), []byte(connID+"\x00"+field))
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// open decrypts a sealed field; a wrong key is an error that says which key was tried.
func (k *SecretKey) open(sealed, connID, field string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	body, ok := strings.CutPrefix(sealed, sealedPrefix)
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if !ok || err != nil || len(raw) < k.aead.NonceSize() {
		return "", keyErrorf("connection %q: its %s is not a value wasmflow sealed (was the metastore edited by hand?): "+
			"set it again with `wasmflow connections add`", connID, field)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, raw[:n], raw[n:], []byte(connID+"\x00"+field))
	if err != nil {
		return "", keyErrorf("connection %q: its %s does not decrypt with the secret key from %s: that is not the key "+
			"it was saved with; restore the old key (core.fernet_key or the fernet.key file in the home), "+
			"or delete the connection and add it again", connID, field, k.source)
	}
	return string(plain), nil
}

// errNoSecretKey is returned by the connection methods of a Store opened without a key.
var errNoSecretKey error = &keyError{"connections need the secret key (core.fernet_key or the fernet.key file in the home), " +
	"which this process did not load: open the home with wasmflow itself"}

// UseSecretKey sets the key that seals connection secrets. Call it once, before the Store is
// shared.
func (s *Store) UseSecretKey(k *SecretKey) { s.key = k }

// HasSealedSecrets reports whether any connection holds a sealed password or extra: then a
// missing key file must not be replaced by a new key, which would not open them.
func (s *Store) HasSealedSecrets(ctx context.Context) (bool, error) {
	var n int64
	err := s.rdb.WithContext(ctx).Model(&connectionModel{}).Where("password <> '' OR extra <> ''").Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("look for sealed connection secrets: %w", err)
	}
	return n > 0, nil
}
