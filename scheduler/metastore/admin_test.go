package metastore

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
)

func TestVariables(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for _, v := range []scheduler.Variable{
		{Key: "b", Value: "1"},
		{Key: "a", Value: "x", Description: "first"},
		{Key: "b", Value: "2", Description: "replaced"},
		{Key: "empty", Value: ""},
	} {
		if err := s.SetVariable(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.ListVariables(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []scheduler.Variable{{Key: "a", Value: "x", Description: "first"}, {Key: "b", Value: "2", Description: "replaced"}, {Key: "empty"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListVariables = %+v, want %+v", got, want)
	}
	if v, err := s.GetVariable(ctx, "b"); err != nil || v != want[1] {
		t.Errorf("GetVariable = %+v, %v", v, err)
	}
	if err := s.DeleteVariable(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"get deleted", func() error { _, err := s.GetVariable(ctx, "a"); return err }()},
		{"delete deleted", s.DeleteVariable(ctx, "a")},
	} {
		if !errors.Is(tt.err, scheduler.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", tt.name, tt.err)
		}
	}
	if err := s.SetVariable(ctx, scheduler.Variable{}); err == nil {
		t.Error("SetVariable without key succeeded")
	}
}

func TestPools(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	def, err := s.GetPool(ctx, scheduler.DefaultPool)
	if err != nil || def.Slots != 128 {
		t.Fatalf("default pool = %+v, %v; want it seeded with 128 slots", def, err)
	}
	tests := []struct {
		name    string
		pool    scheduler.Pool
		wantErr string
	}{
		{name: "create", pool: scheduler.Pool{Name: "gpu", Slots: 2, Description: "the GPUs"}},
		{name: "update", pool: scheduler.Pool{Name: "gpu", Slots: 4, Description: "more GPUs"}},
		{name: "zero slots", pool: scheduler.Pool{Name: "closed", Slots: 0}},
		{name: "unlimited", pool: scheduler.Pool{Name: "open", Slots: -1}},
		{name: "resize default", pool: scheduler.Pool{Name: scheduler.DefaultPool, Slots: 8, Description: "Default pool"}},
		{name: "negative", pool: scheduler.Pool{Name: "bad", Slots: -2}, wantErr: "slots is -2"},
		{name: "no name", pool: scheduler.Pool{Slots: 1}, wantErr: "empty name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.SetPool(ctx, tt.pool)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("SetPool = %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, err := s.GetPool(ctx, tt.pool.Name); err != nil || got != tt.pool {
				t.Errorf("GetPool = %+v, %v; want %+v", got, err, tt.pool)
			}
		})
	}
	pools, err := s.ListPools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pools {
		names = append(names, p.Name)
	}
	if want := []string{"closed", "default_pool", "gpu", "open"}; !reflect.DeepEqual(names, want) {
		t.Errorf("ListPools = %v, want %v", names, want)
	}

	err = s.DeletePool(ctx, scheduler.DefaultPool)
	if err == nil || !strings.Contains(err.Error(), "default_pool cannot be deleted") {
		t.Errorf("DeletePool(default_pool) = %v, want a clear refusal", err)
	}
	if _, err := s.GetPool(ctx, scheduler.DefaultPool); err != nil {
		t.Errorf("default pool gone: %v", err)
	}
	if err := s.DeletePool(ctx, "gpu"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPool(ctx, "gpu"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("GetPool after delete = %v, want ErrNotFound", err)
	}
	if err := s.DeletePool(ctx, "gpu"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("DeletePool twice = %v, want ErrNotFound", err)
	}
}

func TestUsers(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	login := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	alice := scheduler.User{Username: "alice", Email: "a@example.com", FirstName: "Alice", LastName: "A",
		Role: scheduler.RoleAdmin, PasswordHash: "$2a$10$hash", Active: true, LastLogin: &login}
	created, err := s.CreateUser(ctx, alice)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == 0 || created.CreatedAt.IsZero() {
		t.Errorf("CreateUser = %+v, want an ID and CreatedAt", created)
	}
	got, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(created.CreatedAt) || got.LastLogin == nil || !got.LastLogin.Equal(login) {
		t.Errorf("times = %v %v, want %v %v", got.CreatedAt, got.LastLogin, created.CreatedAt, login)
	}
	got.CreatedAt, got.LastLogin, alice.LastLogin = time.Time{}, nil, nil
	alice.ID = created.ID
	if !reflect.DeepEqual(got, alice) {
		t.Errorf("GetUser =\n%+v\nwant\n%+v", got, alice)
	}

	tests := []struct {
		name    string
		user    scheduler.User
		wantErr string
	}{
		{name: "duplicate", user: scheduler.User{Username: "alice", Role: scheduler.RoleViewer}, wantErr: `user "alice" already exists`},
		{name: "no username", user: scheduler.User{Role: scheduler.RoleViewer}, wantErr: "empty username"},
		{name: "bad role", user: scheduler.User{Username: "bob", Role: "root"}, wantErr: `role "root" is not one of`},
		{name: "inactive viewer", user: scheduler.User{Username: "carol", Role: scheduler.RoleViewer}},
		{name: "op", user: scheduler.User{Username: "bob", Role: scheduler.RoleOp, Active: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := s.CreateUser(ctx, tt.user)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("CreateUser = %+v, %v; want error containing %q", u, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g, err := s.GetUser(ctx, tt.user.Username); err != nil || g.Active != tt.user.Active || g.Role != tt.user.Role {
				t.Errorf("GetUser = %+v, %v", g, err)
			}
		})
	}
	users, err := s.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Username)
	}
	if want := []string{"alice", "bob", "carol"}; !reflect.DeepEqual(names, want) {
		t.Errorf("ListUsers = %v, want %v", names, want)
	}
	if err := s.DeleteUser(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetUser(ctx, "bob"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("GetUser after delete = %v, want ErrNotFound", err)
	}
	if err := s.DeleteUser(ctx, "bob"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("DeleteUser twice = %v, want ErrNotFound", err)
	}
	// The username is free again.
	if _, err := s.CreateUser(ctx, scheduler.User{Username: "bob", Role: scheduler.RoleUser}); err != nil {
		t.Fatal(err)
	}
}

func TestAuditEvents(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	base := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	events := []scheduler.AuditEvent{
		{When: base.Add(2 * time.Second), Event: "dag.pause", Owner: "alice", DagID: "etl"},
		{When: base, Event: "variable.set", Owner: "cli", Extra: `{"key":"k"}`},
		// Another zone, same instant order: stored in UTC, so it sorts by time, not by text.
		{When: base.Add(time.Second).In(time.FixedZone("X", -5*3600)), Event: "dag.trigger", Owner: "bob", DagID: "etl", RunID: "manual__1"},
		{When: base.Add(3 * time.Second), Event: "task.clear", Owner: "scheduler", DagID: "etl", RunID: "r", TaskID: "t"},
		{When: base.Add(3 * time.Second), Event: "task.clear.same.time", Owner: "scheduler"},
	}
	for _, e := range events {
		if err := s.AddAuditEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddAuditEvent(ctx, scheduler.AuditEvent{}); err == nil {
		t.Error("AddAuditEvent without event succeeded")
	}
	if err := s.AddAuditEvent(ctx, scheduler.AuditEvent{Event: "now"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		limit int
		want  []string
	}{
		{0, []string{"now", "task.clear.same.time", "task.clear", "dag.pause", "dag.trigger", "variable.set"}},
		{2, []string{"now", "task.clear.same.time"}},
		{100, []string{"now", "task.clear.same.time", "task.clear", "dag.pause", "dag.trigger", "variable.set"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint("limit ", tt.limit), func(t *testing.T) {
			got, err := s.ListAuditEvents(ctx, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range got {
				names = append(names, e.Event)
			}
			if !reflect.DeepEqual(names, tt.want) {
				t.Errorf("ListAuditEvents(%d) = %v, want %v", tt.limit, names, tt.want)
			}
		})
	}
	all, _ := s.ListAuditEvents(ctx, 0)
	trig := all[4]
	want := events[2]
	if trig.ID == 0 || !trig.When.Equal(want.When) || trig.Owner != "bob" || trig.DagID != "etl" || trig.RunID != "manual__1" {
		t.Errorf("event = %+v, want %+v", trig, want)
	}
}
