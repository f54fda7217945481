// Package profile keeps what 'bulk probe onefile' learnt about one OneFile
// target (an API root and an organisation): the answers to the questions the
// vendor documents leave open, such as whether a create answers a user ID
// (the keychain setting), which fields a user search carries and whose ID
// goes in the assignment path. Loads read it; it holds no secret.
package profile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/bulkload/bulk/formats/onefile/schema"
)

// Profile is one target's probed settings.
type Profile struct {
	APIRoot      string    `yaml:"api_root"`
	Organisation int       `yaml:"organisation"`
	ProbedAt     time.Time `yaml:"probed_at"`
	// KeychainOn: creates answer no user ID and no password (the 2026 guide).
	KeychainOn bool `yaml:"keychain_on"`
	// SearchFields are the fields a user search answers; GetUserFields those GET /User/{id}
	// answers (empty when the organisation had no user to read).
	SearchFields  []string `yaml:"search_fields"`
	GetUserFields []string `yaml:"get_user_fields,omitempty"`
	// AssignPath is whose ID goes in POST /User/{id}/Assign: assignee, learner or unknown
	// (not settled; loads then use the assignee, as public clients do).
	AssignPath string `yaml:"assign_path"`
	// RateLimitHeaders are the rate-limit headers OneFile answered with, if any.
	RateLimitHeaders map[string]string `yaml:"rate_limit_headers,omitempty"`
	// Roles settles the guesses about roles the guides do not name (schema.RoleGuesses:
	// trainee-assessor-any-level, trainee-default-assessor, iqa-default-assessor), each true
	// (OneFile takes it) or false; one not given keeps bulk's default (docs/guesses.md). A probe
	// with --write-test finds them out; a person may write them; a read-only probe keeps them.
	Roles map[string]bool `yaml:"roles,omitempty"`
}

// RoleRules are the role rules the profile settles (bulk's defaults when p is nil), for
// validation (pipeline.Options.Settings) and the sandbox.
func (p *Profile) RoleRules() schema.RoleRules {
	if p == nil {
		return schema.DefaultRoles
	}
	r, err := schema.NewRoleRules(p.Roles)
	if err != nil { // Read refuses unknown names
		return schema.DefaultRoles
	}
	return r
}

// Assign is the reading of the assignment path the profile settled, for api.Config.AssignPath:
// "" (the client's default, the assignee) when p is nil or the path is unknown.
func (p *Profile) Assign() string {
	if p == nil || p.AssignPath == "unknown" {
		return ""
	}
	return p.AssignPath
}

// Dir is where profiles live: profiles/ beside the ledger.
func Dir(ledgerPath string) string { return filepath.Join(filepath.Dir(ledgerPath), "profiles") }

var unsafe = regexp.MustCompile(`[^A-Za-z0-9.]+`)

// Path is the file of the profile of (apiRoot, org) in dir. apiRoot must be canonical
// (internal/target), so that two spellings of one server share a profile; the name is readable
// (host and path) and made unique by a hash of the whole root.
func Path(dir, apiRoot string, org int) string {
	sum := sha256.Sum256([]byte(apiRoot))
	readable := strings.Trim(unsafe.ReplaceAllString(strings.TrimPrefix(strings.TrimPrefix(apiRoot, "https://"), "http://"), "-"), "-")
	return filepath.Join(dir, fmt.Sprintf("%s-org%d-%s.yaml", readable, org, hex.EncodeToString(sum[:4])))
}

// Write saves p in dir (made if needed) and returns its path.
func Write(dir string, p *Profile) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	b, err := yaml.Marshal(p)
	if err != nil {
		return "", err
	}
	path := Path(dir, p.APIRoot, p.Organisation)
	tmp := path + ".tmp"
	head := "# Written by 'bulk probe onefile'; loads into this target read it. Run the probe again to refresh.\n"
	if err := os.WriteFile(tmp, append([]byte(head), b...), 0o600); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

// Read loads the profile of (apiRoot, org) from dir; nil and no error when there is none.
func Read(dir, apiRoot string, org int) (*Profile, error) {
	path := Path(dir, apiRoot, org)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p Profile
	if err := yaml.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("target profile %s: %v; run 'bulk probe onefile' again", path, err)
	}
	if p.APIRoot != apiRoot || p.Organisation != org {
		return nil, fmt.Errorf("target profile %s is for %s organisation %d, not this target; run 'bulk probe onefile' again", path, p.APIRoot, p.Organisation)
	}
	if _, err := schema.NewRoleRules(p.Roles); err != nil {
		return nil, fmt.Errorf("target profile %s: roles: %v", path, err)
	}
	switch p.AssignPath {
	case "", "unknown", "assignee", "learner":
	default:
		return nil, fmt.Errorf("target profile %s: assign_path %q: say assignee, learner or unknown", path, p.AssignPath)
	}
	return &p, nil
}
