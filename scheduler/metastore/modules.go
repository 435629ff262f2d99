package metastore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// PutModule stores a WebAssembly module under the hex sha256 of its bytes and returns that
// digest. Storing the same bytes again is a no-op.
func (s *Store) PutModule(ctx context.Context, data []byte) (string, error) {
	if data == nil {
		data = []byte{} // NULL would break NOT NULL
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	m := moduleBlobModel{SHA256: digest, Size: int64(len(data)), Data: data, CreatedAt: now()}
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Create(&m).Error
	if err != nil {
		return "", fmt.Errorf("put module %s: %w", digest, err)
	}
	return digest, nil
}

// GetModule returns the bytes of the module with the given hex sha256.
func (s *Store) GetModule(ctx context.Context, digest string) ([]byte, error) {
	var m moduleBlobModel
	err := s.rdb.WithContext(ctx).Where("sha256 = ?", digest).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, notFound("module %s", digest)
	}
	if err != nil {
		return nil, fmt.Errorf("get module %s: %w", digest, err)
	}
	return m.Data, nil
}
