package webtest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// Root is the repository's folder.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Redocly lints an OpenAPI document with Redocly's CLI (ui/node_modules),
// an implementation that is not COP's, under the repository's
// redocly.yaml; it returns what the linter printed and whether it found
// no error.
func Redocly(t testing.TB, doc []byte, args ...string) (string, bool) {
	t.Helper()
	root := Root()
	bin := filepath.Join(root, "ui", "node_modules", ".bin", "redocly")
	if _, err := os.Stat(bin); err != nil {
		t.Fatal("the OpenAPI lint needs ui/node_modules/.bin/redocly: run `make test` (it installs ui's packages)")
	}
	file := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(file, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, append([]string{"lint", file, "--config", filepath.Join(root, "redocly.yaml"), "--format", "stylish",
		"--max-problems", "200"}, args...)...)
	cmd.Dir = root
	// No telemetry or update check: only the package registries are reachable.
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}
