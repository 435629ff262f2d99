package pgtest

import (
	"strings"
	"testing"
)

func TestStartStop(t *testing.T) {
	s, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Psql("postgres", "CREATE DATABASE probe"); err != nil {
		t.Fatal(err)
	}
	out, err := s.Psql("probe", "SELECT 'alive:' || current_database()")
	if err != nil || !strings.Contains(out, "alive:probe") {
		t.Fatalf("%q %v", out, err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
}
