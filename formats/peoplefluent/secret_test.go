package peoplefluent

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testKey = "s3cr3t-SYSTEM-key-9f8e7d"

func TestSecretNeverPrints(t *testing.T) {
	k := NewSecret(testKey)
	type holder struct {
		Key    Secret
		hidden Secret
	}
	h := holder{Key: k, hidden: k}
	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("x", "key", k, "holder", h)
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("x", "key", k)
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%v": fmt.Sprintf("%v", k), "%s": fmt.Sprintf("%s", k), "%q": fmt.Sprintf("%q", k),
		"%x": fmt.Sprintf("%x", k), "%X": fmt.Sprintf("%X", k), "%d": fmt.Sprintf("%d", k),
		"%#v": fmt.Sprintf("%#v", k), "%+v holder": fmt.Sprintf("%+v", h), "%#v holder": fmt.Sprintf("%#v", h),
		"%v pointer": fmt.Sprintf("%v", &h), "String": k.String(), "GoString": k.GoString(),
		"Sprint": fmt.Sprint(k), "Errorf": fmt.Errorf("with %v", k).Error(),
		"slog": logBuf.String(), "json": string(js),
	}
	hexKey := fmt.Sprintf("%x", testKey)
	for name, out := range outputs {
		if strings.Contains(out, testKey) || strings.Contains(out, hexKey) {
			t.Errorf("%s printed the key: %s", name, out)
		}
	}
	if got := fmt.Sprintf("%v|%d|%#v", k, k, k); got != "[redacted]|[redacted]|[redacted]" {
		t.Errorf("verbs print %q", got)
	}
}

func TestSecretMatches(t *testing.T) {
	k := NewSecret("  " + testKey + "\n")
	if !k.Matches(testKey) {
		t.Error("key with surrounding white space does not match the trimmed key")
	}
	for _, bad := range []string{"", testKey + "x", strings.ToUpper(testKey)} {
		if k.Matches(bad) {
			t.Errorf("matches %q", bad)
		}
	}
	if (Secret{}).Matches("") || !NewSecret("   ").IsZero() {
		t.Error("a zero Secret must match nothing and blank keys must be zero")
	}
}

func TestSecretScrub(t *testing.T) {
	k := NewSecret(testKey)
	in := "header Authorization: Basic YnVsazpzM2NyM3QtU1lTVEVNLWtleS05ZjhlN2Q= and " + testKey
	out := k.scrub(in, "bulk")
	if strings.Contains(out, testKey) || strings.Contains(out, "YnVsazpzM2NyM3QtU1lTVEVNLWtleS05ZjhlN2Q=") {
		t.Errorf("scrub left the key: %s", out)
	}
}

func TestKeyFromEnv(t *testing.T) {
	const name = "BULK_PF_TEST_KEY_ENV"
	tests := []struct {
		name    string
		set     bool
		value   string
		wantErr string
	}{
		{"set", true, testKey + "\n", ""},
		{"unset", false, "", "is not set"},
		{"blank", true, "  ", "empty"},
		{"empty", true, "", "is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.set {
				t.Setenv(name, tt.value)
			} else {
				t.Setenv(name, "x")
				os.Unsetenv(name)
			}
			k, err := KeyFromEnv(name)
			checkErr(t, err, tt.wantErr)
			if tt.wantErr == "" && !k.Matches(testKey) {
				t.Error("key not read")
			}
		})
	}
}

func TestKeyFromFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil { // umask may have narrowed it
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name     string
		path     string
		wantErr  string
		wantWarn string
	}{
		{"private", write("ok", testKey+"\n", 0o600), "", ""},
		{"crlf and second line ignored", write("crlf", testKey+"\r\nother\n", 0o600), "", ""},
		{"readable by others", write("open", testKey, 0o644), "", "chmod 600"},
		{"missing", filepath.Join(dir, "nope"), "does not exist", ""},
		{"empty", write("empty", "\n\n", 0o600), "is empty", ""},
		{"directory", dir, "is a directory", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, warn, err := KeyFromFile(tt.path)
			checkErr(t, err, tt.wantErr)
			if !strings.Contains(warn, tt.wantWarn) || (tt.wantWarn == "" && warn != "") {
				t.Errorf("warning %q, want one containing %q", warn, tt.wantWarn)
			}
			if tt.wantErr == "" && !k.Matches(testKey) {
				t.Error("key not read")
			}
			if err != nil && strings.Contains(err.Error(), testKey) {
				t.Error("error shows the key")
			}
		})
	}
}

func checkErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Fatalf("unexpected error: %v", err)
	case want != "" && err == nil:
		t.Fatalf("no error, want one containing %q", want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Fatalf("error %q does not contain %q", err, want)
	}
}
