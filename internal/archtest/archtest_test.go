// Package archtest keeps carepath's import directions true (see the README's layout):
//
//	cmd -> internal/app -> services -> internal/{access, planner, domain, store, platform, errs}
//
// (cmd/carepath-load, the load tool, calls carepath over its generated API instead),
// with the domain pure, the storage backends chosen only by internal/app, and test
// helpers never linked into the binary.
package archtest

import (
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/carepath/carepath"

type pkg struct {
	ImportPath string
	Imports    []string
}

func packages(t *testing.T) []pkg {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

func ours(path string) (string, bool) {
	if path == module {
		return "", true
	}
	return strings.CutPrefix(path, module+"/")
}

func isStd(path string) bool { return !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") }

func under(path string, prefixes ...string) bool {
	for _, p := range prefixes {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// rule says whether package from may import imp (both relative to the module when ours).
type rule struct {
	name  string
	from  func(string) bool
	allow func(imp string, mine bool) bool
}

var rules = []rule{
	{
		name: "the domain is pure: standard library (and a YAML reader for the catalogue), the domain and errs only",
		from: func(p string) bool { return under(p, "internal/domain") },
		allow: func(imp string, mine bool) bool {
			return !mine && (isStd(imp) || imp == "go.yaml.in/yaml/v3") || mine && under(imp, "internal/domain", "internal/errs")
		},
	},
	{
		name: "the planner works on the domain through the store interface",
		from: func(p string) bool { return p == "internal/planner" },
		allow: func(imp string, mine bool) bool {
			return !mine || under(imp, "internal/domain", "internal/errs") || imp == "internal/store"
		},
	},
	{
		name: "the SSDA903 return is read and written over the store interface, planned by the planner",
		from: func(p string) bool { return under(p, "internal/ssda903return") },
		allow: func(imp string, mine bool) bool {
			return !mine || under(imp, "internal/domain", "internal/errs", "internal/ssda903return") ||
				imp == "internal/store" || imp == "internal/planner"
		},
	},
	{
		name:  "errs is a leaf",
		from:  func(p string) bool { return p == "internal/errs" },
		allow: func(imp string, mine bool) bool { return !mine && isStd(imp) },
	},
	{
		name: "the store interface depends on the domain only",
		from: func(p string) bool { return p == "internal/store" },
		allow: func(imp string, mine bool) bool {
			return !mine && isStd(imp) || mine && under(imp, "internal/domain", "internal/errs")
		},
	},
	{
		name: "backends import the store interface and the domain, nothing above them",
		from: func(p string) bool { return under(p, "internal/store/memory", "internal/store/postgres") },
		allow: func(imp string, mine bool) bool {
			return !mine || under(imp, "internal/store", "internal/domain", "internal/errs", "internal/jobs") &&
				!under(imp, "internal/store/storetest", "internal/store/pgtest")
		},
	},
	{
		name:  "job arguments are plain data: River's queue holds ids, nothing of ours",
		from:  func(p string) bool { return p == "internal/jobs" },
		allow: func(imp string, mine bool) bool { return !mine },
	},
	{
		name: "delivery works over the store with the platform's webhook sender, below the services",
		from: func(p string) bool { return p == "internal/delivery" },
		allow: func(imp string, mine bool) bool {
			return !mine || under(imp, "internal/domain", "internal/errs", "internal/platform", "internal/jobs") ||
				imp == "internal/store"
		},
	},
	{
		name: "platform is domain-free and below the services",
		from: func(p string) bool { return under(p, "internal/platform") },
		allow: func(imp string, mine bool) bool {
			return !mine || under(imp, "internal/platform", "internal/errs")
		},
	},
	{
		name: "services never reach a backend, the composition root or another service",
		from: func(p string) bool { return under(p, "services") },
		allow: func(imp string, mine bool) bool {
			if !mine {
				return !strings.HasPrefix(imp, "github.com/jackc/") && !strings.HasPrefix(imp, "github.com/hashicorp/go-memdb")
			}
			return under(imp, "internal/domain", "internal/errs", "internal/platform", "proto/gen", "services/internal") ||
				imp == "internal/store" || imp == "internal/planner" || imp == "internal/access"
		},
	},
	{
		name: "access decides on the domain through the store interface, below the services",
		from: func(p string) bool { return under(p, "internal/access") },
		allow: func(imp string, mine bool) bool {
			return !mine || under(imp, "internal/domain", "internal/errs", "internal/platform") || imp == "internal/store"
		},
	},
	{
		name:  "generated code imports nothing of ours",
		from:  func(p string) bool { return under(p, "proto") },
		allow: func(imp string, mine bool) bool { return !mine || under(imp, "proto") },
	},
	{
		name:  "cmd goes through internal/app",
		from:  func(p string) bool { return under(p, "cmd") && !under(p, "cmd/carepath-load") },
		allow: func(imp string, mine bool) bool { return !mine || imp == "internal/app" },
	},
	{
		// It runs carepath as a separate process and calls it as any client would; the bare
		// reference server it also runs implements the generated API over pgx, and writes
		// JSON as carepath's gateway does (jsonplan), so that REST's ceiling is a fair one.
		name: "the load tool drives carepath from outside: the generated API, the demo's names and the API's JSON only",
		from: func(p string) bool { return under(p, "cmd/carepath-load") },
		allow: func(imp string, mine bool) bool {
			return !mine || under(imp, "proto/gen") || imp == "internal/demo" || imp == "internal/platform/jsonplan"
		},
	},
	{
		name: "test helpers (and the tests' clock and browser) are not linked into non-test code",
		from: func(p string) bool { return !under(p, "internal/store/storetest", "internal/store/pgtest") },
		allow: func(imp string, mine bool) bool {
			return !mine || !under(imp, "internal/store/storetest", "internal/store/pgtest", "internal/testclock", "internal/browsertest")
		},
	},
}

func TestImportDirections(t *testing.T) {
	for _, p := range packages(t) {
		from, _ := ours(p.ImportPath)
		for _, imp := range p.Imports {
			rel, mine := ours(imp)
			if !mine {
				rel = imp
			}
			for _, r := range rules {
				if r.from(from) && !r.allow(rel, mine) {
					t.Errorf("%s imports %s: breaks %q", from, imp, r.name)
				}
			}
		}
	}
}

// The rules must bite: check them against known-bad edges.
func TestRulesCatchViolations(t *testing.T) {
	for _, bad := range [][2]string{
		{"internal/domain", "google.golang.org/grpc"},
		{"internal/domain/civil", "internal/store"},
		{"internal/store/postgres", "services/youngpeople"},
		{"services/youngpeople", "internal/store/postgres"},
		{"services/youngpeople", "internal/app"},
		{"services/youngpeople", "github.com/jackc/pgx/v5"},
		{"internal/platform/apierr", "internal/domain"},
		{"cmd/carepath", "internal/store/postgres"},
		{"internal/app", "internal/store/pgtest"},
		{"internal/planner", "internal/testclock"},
		{"internal/app", "internal/browsertest"},
		{"services/pathways", "services/careepisodes"},
		{"internal/planner", "internal/store/memory"},
		{"internal/domain/catalogue", "github.com/jackc/pgx/v5"},
		{"internal/access", "services/youngpeople"},
		{"internal/access", "internal/store/postgres"},
		{"cmd/carepath", "proto/gen/go/carepath/v1"},
		{"cmd/carepath-load", "internal/store/postgres"},
		{"cmd/carepath-load", "services/youngpeople"},
		{"cmd/carepath-load", "internal/planner"},
		{"internal/ssda903return", "internal/store/postgres"},
	} {
		rel, mine := bad[1], false
		if !strings.Contains(bad[1], ".") && under(bad[1], "internal", "services", "cmd", "proto") {
			mine = true
		}
		caught := false
		for _, r := range rules {
			if r.from(bad[0]) && !r.allow(rel, mine) {
				caught = true
			}
		}
		if !caught {
			t.Errorf("no rule forbids %s -> %s", bad[0], bad[1])
		}
	}
}
