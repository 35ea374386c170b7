package devstack

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"cop/forms"
	"cop/platform/malware"
)

// A private clamd knows EICAR by the generated database, takes the
// largest upload whole, reports encrypted archives, and is gone (process
// and port) once stopped.
func TestStartClamd(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(tempDir(t), "clamd")
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c, err := StartClamd(ctx, ClamdOptions{Dir: dir, Port: port, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	scanner := c.Scanner(10 * time.Second)
	if v, err := scanner.ScanBytes(ctx, malware.EICAR()); err != nil || v.Signature != malware.EICARSignature {
		t.Fatalf("EICAR: %+v %v", v, err)
	}
	largest := make([]byte, forms.MaxFileSize)
	if v, err := scanner.ScanBytes(ctx, largest); err != nil || !v.Clean() {
		t.Fatalf("the largest upload a form may take: %+v %v, want clean", v, err)
	}
	if _, err := scanner.ScanBytes(ctx, make([]byte, StreamMaxLength+1)); !errors.Is(err, malware.ErrTooLarge) {
		t.Fatalf("past StreamMaxLength: %v, want ErrTooLarge", err)
	}
	conf, _ := os.ReadFile(filepath.Join(dir, "clamd.conf"))
	for _, want := range []string{"AlertEncrypted yes", "AlertExceedsMax yes", "TCPAddr 127.0.0.1"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("clamd.conf lacks %q", want)
		}
	}
	db, _ := os.ReadFile(filepath.Join(dir, "db", "eicar.hdb"))
	if string(db) != "44d88612fea8a8f36de82e1278abb02f:68:Eicar-Test-Signature\n" {
		t.Errorf("eicar.hdb is %q", db)
	}
	pid := c.cmd.Process.Pid
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Errorf("clamd (pid %d) still runs after Stop", pid)
	}
	if err := scanner.Ping(ctx); !errors.Is(err, malware.ErrUnavailable) {
		t.Errorf("ping after Stop: %v", err)
	}
}
