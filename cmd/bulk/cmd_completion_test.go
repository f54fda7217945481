package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/catalog"
)

// obAsBulk makes this test binary act as the bulk binary when a test starts it as a separate
// process: a shell running a completion script calls `bulk __complete ...`, and end-to-end tests
// run command lines with real exit statuses. The code that runs is exactly main's.
const obAsBulk = "BULK_TEST_RUN_AS_BULK"

func init() {
	if os.Getenv(obAsBulk) == "1" {
		os.Exit(run(os.Args[1:], newApp(os.Stdin, os.Stdout, os.Stderr)))
	}
}

// obBulkExe returns a folder with an executable named bulk (this test binary acting as bulk) and
// the environment to run it with, that folder first on PATH.
func obBulkExe(t *testing.T) (dir string, env []string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	if err := os.Symlink(exe, filepath.Join(dir, "bulk")); err != nil {
		t.Fatal(err)
	}
	env = append(os.Environ(), obAsBulk+"=1", "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir, env
}

func TestCompletionScripts(t *testing.T) {
	for _, tc := range []struct {
		shell, starts string
	}{
		{"bash", "# bash completion V2 for bulk"},
		{"zsh", "#compdef bulk"},
		{"fish", "# fish completion for bulk"},
		{"powershell", "# powershell completion for bulk"},
	} {
		code, out, errOut := obBulk(t, "completion", tc.shell)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, tc.starts) {
			t.Errorf("bulk completion %s: exit %d, stderr %q, script starts %.40q", tc.shell, code, errOut, out)
		}
	}
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"completion", "bsh"}, "Did you mean 'bulk completion bash'?"},
		{[]string{"completion", "tcsh"}, "Give one of: bash, zsh, fish, powershell."},
		{[]string{"completion"}, "source <(bulk completion bash)"},
	} {
		code, _, errOut := obBulk(t, tc.args...)
		if code != ExitCannotRun || !strings.Contains(errOut, tc.says) {
			t.Errorf("bulk %s: exit %d, stderr %q; want 2 and %q", strings.Join(tc.args, " "), code, errOut, tc.says)
		}
	}
}

// obCompletions asks bulk itself what completes a command line, as every shell's script does.
func obCompletions(t *testing.T, args ...string) []string {
	t.Helper()
	code, out, _ := obBulk(t, append([]string{"__complete"}, args...)...)
	if code != 0 {
		t.Fatalf("bulk __complete %q: exit %d", args, code)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(line, ":") {
			name, _, _ := strings.Cut(line, "\t")
			got = append(got, name)
		}
	}
	return got
}

func obKindNames() []string {
	var names []string
	for _, k := range catalog.Kinds() {
		names = append(names, k.Name)
	}
	return names
}

func TestCompleteArguments(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"template", ""}, obKindNames()},
		{[]string{"kinds", ""}, obKindNames()},
		{[]string{"template", obKindNames()[0], ""}, nil}, // one KIND only
		{[]string{"rules", "--format", ""}, []string{"text", "json"}},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish", "powershell"}},
	} {
		if got := obCompletions(t, tc.args...); !slices.Equal(got, tc.want) {
			t.Errorf("completing %q: %q, want %q", tc.args, got, tc.want)
		}
	}
}

// completeKindFlag is ready for any command's --kind flag, including after positional arguments.
func TestCompleteKindFlag(t *testing.T) {
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	cmd.Flags().String("kind", "", "")
	if err := cmd.RegisterFlagCompletionFunc("kind", completeKindFlag); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"__complete", "file.csv", "--kind", ""})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if name, _, _ := strings.Cut(line, "\t"); !strings.HasPrefix(name, ":") {
			got = append(got, name)
		}
	}
	if !slices.Equal(got, obKindNames()) {
		t.Errorf("--kind completes to %q, want %q", got, obKindNames())
	}
}

// The scripts themselves, run by the real shells when they are installed (Debian packages
// bash-completion, zsh, fish): each must offer the kinds after `bulk template `.
func TestCompletionInShells(t *testing.T) {
	t.Parallel() // waits on child processes and loopback servers, not the CPU
	_, env := obBulkExe(t)
	script := func(t *testing.T, shell string) string {
		t.Helper()
		code, out, _ := obBulk(t, "completion", shell)
		if code != 0 {
			t.Fatalf("bulk completion %s: exit %d", shell, code)
		}
		path := filepath.Join(t.TempDir(), "bulk."+shell)
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	shells := []struct {
		shell, needs, program string
	}{
		// bash: cobra's script needs the bash-completion package; COMPREPLY is what bash offers.
		{"bash", "/usr/share/bash-completion/bash_completion", `
source /usr/share/bash-completion/bash_completion
source "$1"
COMP_WORDS=(bulk template ""); COMP_CWORD=2; COMP_LINE="bulk template "; COMP_POINT=${#COMP_LINE}
__start_bulk 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"`},
		// zsh: the completion function runs for real; zsh's _describe, which would draw the menu, is
		// replaced by one printing what it was given.
		{"zsh", "", `
compdef() { :; }
source "$1"
_describe() { local a; for a in "$@"; do [[ $a == completions ]] && { print -l -- "${completions[@]%%:*}"; return 0; }; done; return 1; }
compadd() { :; }
words=(bulk template "") CURRENT=3 _bulk`},
		// fish: complete -C prints what fish would offer for the command line.
		{"fish", "", `source $argv[-1]; complete -C "bulk template " | string replace -r '\t.*' ''`},
	}
	for _, sh := range shells {
		t.Run(sh.shell, func(t *testing.T) {
			bin, err := exec.LookPath(sh.shell)
			if err != nil {
				t.Skipf("%s is not installed", sh.shell)
			}
			if sh.needs != "" {
				if _, err := os.Stat(sh.needs); err != nil {
					t.Skipf("%s is not installed", sh.needs)
				}
			}
			args := []string{"-c", sh.program, sh.shell, script(t, sh.shell)}
			if sh.shell == "zsh" {
				args = append([]string{"-f"}, args...)
			}
			cmd := exec.Command(bin, args...)
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			got := strings.Fields(string(out))
			if !slices.Equal(got, obKindNames()) {
				t.Errorf("%s offers %q after 'bulk template ', want %q", sh.shell, got, obKindNames())
			}
		})
	}
}
