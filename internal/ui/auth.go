package ui

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"os"
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
)

// An auth file lets bulk ui listen on an address other people reach: one `name:hash` line per
// user, the hash bcrypt's ('bulk ui adduser FILE NAME' writes them). People then sign in with a
// name and password at /login; the one-time token still works for whoever started the server.

// bcryptCost is the work of one password check: about 50 ms on a small machine, so guessing is
// slow and signing in is not.
const bcryptCost = 11

func readAuthFile(path string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the auth file: %w", err)
	}
	defer f.Close()
	users := map[string][]byte{}
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, hash, ok := strings.Cut(line, ":")
		if _, err := bcrypt.Cost([]byte(hash)); !ok || name == "" || err != nil {
			return nil, fmt.Errorf("%s line %d is not `name:bcrypt-hash` (make users with 'bulk ui adduser %s NAME')", path, n, path)
		}
		users[name] = []byte(hash)
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s holds no users: add one with 'bulk ui adduser %s NAME'", path, path)
	}
	return users, sc.Err()
}

// AddUser adds name with password to the auth file at path (created, readable by its owner
// only), or changes their password.
func AddUser(path, name, password string) error {
	if name == "" || strings.ContainsAny(name, ":\r\n") || strings.IndexFunc(name, unicode.IsSpace) >= 0 {
		return fmt.Errorf("user name %q: use letters, digits and . _ - only", name)
	}
	if len(password) < 12 {
		return errors.New("the password must be at least 12 characters")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if b, err := os.ReadFile(path); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if n, _, _ := strings.Cut(strings.TrimSpace(line), ":"); line != "" && n != name {
				out.WriteString(line + "\n")
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	fmt.Fprintf(&out, "%s:%s\n", name, hash)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, out.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// handleLogin shows the sign-in form and checks a name and password against the auth file.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.users == nil {
		http.Error(w, "this bulk ui has no users: open the address it printed", http.StatusNotFound)
		return
	}
	msg := ""
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		name, pass := r.PostFormValue("name"), r.PostFormValue("password")
		hash, known := s.users[name]
		if !known {
			// The same work whether or not the name exists: the time says nothing.
			hash = s.dummyHash
		}
		if bcrypt.CompareHashAndPassword(hash, []byte(pass)) == nil && known {
			sid := randomString()
			s.mu.Lock()
			s.sessions[sid] = true
			s.mu.Unlock()
			s.setSession(w, sid)
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		time.Sleep(time.Second) // slows guessing further
		msg = "That name and password do not match."
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>bulk: sign in</title><link rel="stylesheet" href="/app.css"></head>
<body><main><section><h2>Sign in to bulk</h2><p class="error"%s>%s</p>
<form method="post" action="/login"><div class="row"><label>Name <input name="name" autocomplete="username" required></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label><button>Sign in</button></div></form>
</section></main></body></html>`, map[bool]string{true: " hidden", false: ""}[msg == ""], html.EscapeString(msg))
}

// PromptPassword reads a new password: on a terminal asked twice without echo, else one line
// of in (a script piping it). Never from the command line, where other users could see it.
func PromptPassword(in io.Reader, out io.Writer) (string, error) {
	if f, ok := in.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(out, "Password (12 characters or more): ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return "", err
		}
		fmt.Fprint(out, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ; nothing was changed")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(in, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
