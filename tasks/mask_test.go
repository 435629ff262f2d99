package tasks

import "testing"

func TestSecretsMask(t *testing.T) {
	var s Secrets
	for _, v := range []string{"hunter2", "ab", "", "bcd"} {
		s.Add(v)
	}
	for _, c := range []struct{ in, want string }{
		{"PW=hunter2", "PW=***"},
		{"hunter2hunter2 and hunter2", "*** and ***"},
		{"abcd", "***"}, // "ab" and "bcd" overlap: nothing of either is left
		{"xabyab", "x***y***"},
		{"nothing here", "nothing here"},
		{"", ""},
	} {
		if got := s.Mask(c.in); got != c.want {
			t.Errorf("Mask(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	var none *Secrets
	if got := none.Mask("hunter2"); got != "hunter2" {
		t.Errorf("a nil set masked %q", got)
	}
}

func TestSensitiveName(t *testing.T) {
	for key, want := range map[string]bool{
		"db_password": true, "DB_PASSWORD": true, "my_api_key": true, "apikey": true, "github_token": true,
		"Authorization": true, "ssh_private_key": true, "client_secret": true, "passwd": true,
		"access_token_x": true, "bucket": false, "region": false, "pass": false,
	} {
		if got := SensitiveName(key); got != want {
			t.Errorf("SensitiveName(%q) = %v, want %v", key, got, want)
		}
	}
}

// A log is masked in chunks: a secret cut by a chunk's edge is masked in both chunks.
func TestSecretsMaskPart(t *testing.T) {
	var s Secrets
	s.Add("hunter2")
	text := "pw hunter2 end"
	for _, c := range []struct {
		from, to int
		want     string
	}{
		{0, 6, "pw ***"}, {6, 14, "*** end"}, {3, 10, "***"}, {0, 14, "pw *** end"}, {11, 14, "end"}, {5, 5, ""},
	} {
		if got := s.MaskPart(text, c.from, c.to); got != c.want {
			t.Errorf("MaskPart(%q, %d, %d) = %q, want %q", text, c.from, c.to, got, c.want)
		}
	}
	if s.MaxLen() != 7 || (*Secrets)(nil).MaxLen() != 0 {
		t.Errorf("MaxLen = %d", s.MaxLen())
	}
}
