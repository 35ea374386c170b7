package imports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzBPMN: whatever the file, the import does not panic, and it either
// refuses the file or gives a workflow COP accepts: never a broken one
// (BPMN checks its own output, and says "defect" when it fails to).
func FuzzBPMN(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "public", "*.bpmn"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(bpmnFile("", `<bpmn:startEvent id="S"/><bpmn:parallelGateway id="P"/><bpmn:task id="A"/>`+flows("f:S>P", "g:P>A", "h:P>S"))))
	f.Fuzz(func(t *testing.T, raw []byte) {
		_, err := BPMN("fuzz.bpmn", raw, Options{}, Limits{MaxBytes: 1 << 20, MaxElements: 5000, MaxDepth: 64})
		if err != nil && strings.Contains(err.Error(), "defect") {
			t.Fatalf("%v\n%s", err, raw)
		}
	})
}
