package metastore

import (
	"testing"
	"time"
)

// TestRevokedSessions: a revoked session stays revoked until its expiry; revocations past it
// are dropped by the next revocation.
func TestRevokedSessions(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	now := time.Now()
	if err := s.RevokeSession(ctx, "old", "ann", now.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "live", "ann", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "live", "ann", now.Add(time.Hour)); err != nil {
		t.Fatalf("a second logout of the same session: %v", err)
	}
	for id, want := range map[string]bool{"live": true, "old": false, "never": false} {
		if got, err := s.SessionRevoked(ctx, id); err != nil || got != want {
			t.Errorf("SessionRevoked(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
	var n int64
	if err := s.rdb.Model(&revokedSessionModel{}).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("revoked_session holds %d rows (%v), want only the live one", n, err)
	}
}
