package nightly

import (
	"os"
	"path/filepath"
	"testing"
)

// A job's state: may be a postgres:// URL (or come from BULK_STATE_URL): it is kept as it is,
// not taken for a path beside the job file, and what the job keeps in files (new users'
// logins) goes to the local state folder, not to a folder named after the URL.
func TestJobStateURL(t *testing.T) {
	local := t.TempDir()
	t.Setenv("BULK_STATE_DIR", local)
	t.Setenv("BULK_STATE_URL", "")
	const shared = "postgres://bulk:pw@db.example:5432/bulk?sslmode=require"
	tests := []struct {
		name, state, env, want string
	}{
		{"state: in the job file", shared, "", shared},
		{"BULK_STATE_URL", "", "postgresql://db.example/bulk", "postgresql://db.example/bulk"},
		{"a file beside the job", "state.db", "postgresql://db.example/bulk", "state.db"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BULK_STATE_URL", tt.env)
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
				t.Fatal(err)
			}
			job := "name: training\ninputs: {folder: in, settle: 1s}\nkind: training-history\ntarget: {type: export, folder: out}\n"
			if tt.state != "" {
				job += "state: " + tt.state + "\n"
			}
			path := filepath.Join(dir, "job.yaml")
			if err := os.WriteFile(path, []byte(job), 0o644); err != nil {
				t.Fatal(err)
			}
			j, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			want, creds := tt.want, filepath.Join(local, "credentials", "training")
			if tt.want == "state.db" {
				want, creds = filepath.Join(dir, "state.db"), filepath.Join(dir, "credentials", "training")
			}
			if j.State != want || j.Credentials.Folder != creds {
				t.Errorf("state %q, credentials %q; want %q, %q", j.State, j.Credentials.Folder, want, creds)
			}
		})
	}
}
