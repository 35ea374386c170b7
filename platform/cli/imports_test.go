package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// cop import spreadsheet writes the inferred form (which `cop forms
// validate` accepts unchanged) to standard output and what it could not
// map to standard error, with exit 1; --strict and unreadable files write
// nothing, with exit 2.
func TestImportSpreadsheet(t *testing.T) {
	log := filepath.Join("..", "..", "forms", "imports", "testdata", "seizure-log.csv")
	run := func(args ...string) (string, string, int) {
		t.Helper()
		cmd := exec.Command(copBinary(t), args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		code := exitCode(cmd.Run())
		return stdout.String(), stderr.String(), code
	}
	def, report, code := run("import", "spreadsheet", log, "--name", "seizure-log")
	if code != 1 || !strings.Contains(report, `seizure-log.csv row 42, column B: "31/02/2026" is not a date`) ||
		!strings.Contains(report, "12 questions from 365 rows; 5 items could not be mapped") {
		t.Fatalf("exit %d, report:\n%s", code, report)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "seizure-log.json")
	if err := os.WriteFile(out, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command(copBinary(t), "forms", "validate", out).CombinedOutput(); err != nil || !strings.Contains(string(b), "valid") {
		t.Errorf("cop forms validate on the import: %v %s", err, b)
	}

	// -o writes the same definition to a file.
	written := filepath.Join(dir, "written.json")
	if stdout, _, code := run("import", "spreadsheet", log, "--name", "seizure-log", "-o", written); code != 1 || stdout != "" {
		t.Errorf("-o: exit %d, stdout %q", code, stdout)
	}
	if b, _ := os.ReadFile(written); string(b) != def {
		t.Error("-o wrote another definition than standard output had")
	}

	// --strict refuses a report and writes nothing.
	strictOut := filepath.Join(dir, "strict.json")
	_, report, code = run("import", "spreadsheet", log, "--name", "seizure-log", "--strict", "-o", strictOut)
	if _, err := os.Stat(strictOut); code != 2 || err == nil || !strings.Contains(report, "nothing written (--strict)") {
		t.Errorf("--strict: exit %d, file there: %v, report:\n%s", code, err == nil, report)
	}

	// A clean sheet reports nothing and exits 0.
	clean := filepath.Join(dir, "clean.csv")
	_ = os.WriteFile(clean, []byte("Name,Arrived on\nAnn,21/11/2026\nBob,22/11/2026\n"), 0o644)
	if stdout, stderr, code := run("import", "spreadsheet", clean, "--name", "arrivals"); code != 0 || !strings.Contains(stdout, `"format": "date"`) ||
		!strings.Contains(stderr, "everything mapped") {
		t.Errorf("a clean sheet: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// What cannot be read: one line naming the file and place, exit 2,
	// nothing on standard output.
	ragged := filepath.Join(dir, "ragged.csv")
	_ = os.WriteFile(ragged, []byte("a,b\n1,2\n3\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "spreadsheet", ragged, "--name", "x"}, "ragged.csv row 3 has 1 cells where the header row has 2"},
		{[]string{"import", "spreadsheet", clean}, "--name NAME"},
		{[]string{"import", "spreadsheet", filepath.Join(dir, "missing.xlsx"), "--name", "x"}, "missing.xlsx"},
		{[]string{"import", "spreadsheet", clean, "--name", "x", "--sheet", "One"}, "has no sheets"},
	} {
		stdout, stderr, code := run(tc.args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 saying %q", tc.args, code, stdout, stderr, tc.want)
		}
	}
}

// cop import xlsform writes the form an XLSForm describes, reports what it
// could not translate (exit 1), and refuses a workbook that is not one
// (exit 2).
func TestImportXLSForm(t *testing.T) {
	dir := t.TempDir()
	x := excelize.NewFile()
	_ = x.SetSheetName("Sheet1", "survey")
	for r, row := range [][]any{{"type", "name", "label", "required"}, {"integer", "people", "People on board", "yes"}, {"calculate", "total", "", ""}} {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		_ = x.SetSheetRow("survey", cell, &row)
	}
	book := filepath.Join(dir, "visit.xlsx")
	if err := x.SaveAs(book); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(copBinary(t), "import", "xlsform", book)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := exitCode(cmd.Run())
	if code != 1 || !strings.Contains(stdout.String(), `"people"`) || !strings.Contains(stderr.String(), `survey!A3: question type "calculate" is not translated`) {
		t.Errorf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	out := filepath.Join(dir, "visit.json")
	_ = os.WriteFile(out, stdout.Bytes(), 0o644)
	if b, err := exec.Command(copBinary(t), "forms", "validate", out).CombinedOutput(); err != nil {
		t.Errorf("cop forms validate on the import: %v %s", err, b)
	}
	csv := filepath.Join(dir, "log.csv")
	_ = os.WriteFile(csv, []byte("a\n1\n"), 0o644)
	if b, err := exec.Command(copBinary(t), "import", "xlsform", csv).CombinedOutput(); exitCode(err) != 2 || !strings.Contains(string(b), "log.csv is not an .xlsx workbook") {
		t.Errorf("a CSV as an XLSForm: exit %d %s", exitCode(err), b)
	}
}

// cop import formio writes the form a Form.io wizard describes (which
// `cop forms validate` accepts unchanged) and what it could not
// translate, by JSON path and key; a file that is not a Form.io form is
// refused with its place, writing nothing.
func TestImportFormio(t *testing.T) {
	dir := t.TempDir()
	wizard := filepath.Join("..", "..", "forms", "imports", "testdata", "formio", "cop-record-actions.json")
	out := filepath.Join(dir, "actions.json")
	cmd := exec.Command(copBinary(t), "import", "formio", wizard, "-o", out)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := exitCode(cmd.Run())
	if code != 1 || stdout.Len() > 0 || !strings.Contains(stderr.String(), `cop-record-actions.json $.components[1].components[3] (outgoingProductReference): is shown only when "productpDeveloped"`) ||
		!strings.Contains(stderr.String(), "could not be translated (above)") {
		t.Errorf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if b, err := exec.Command(copBinary(t), "forms", "validate", out).CombinedOutput(); err != nil || !strings.Contains(string(b), "valid") {
		t.Errorf("cop forms validate on the import: %v %s", err, b)
	}

	// A URL select names a set from --with (or the example pack).
	ports := filepath.Join(dir, "ports.json")
	_ = os.WriteFile(ports, []byte(`{"name": "harbours", "version": "1.0.0", "title": "Harbours", "items": [{"code": "PLY", "label": "Plymouth"}]}`), 0o644)
	form := filepath.Join(dir, "visit.json")
	_ = os.WriteFile(form, []byte(`{"name": "visit", "components": [{"type": "select", "key": "harbour", "label": "Harbour", "input": true,
		"dataSrc": "url", "data": {"url": "https://refdata.example/api/harbours?active=true"}}]}`), 0o644)
	b, err := exec.Command(copBinary(t), "import", "formio", form, "--with", ports).Output()
	if exitCode(err) != 0 || !strings.Contains(string(b), `"refdata": "harbours"`) {
		t.Errorf("--with: exit %d\n%s", exitCode(err), b)
	}

	broken := filepath.Join(dir, "broken.json")
	_ = os.WriteFile(broken, []byte(`{"components": [}`), 0o644)
	brokenOut := filepath.Join(dir, "broken.out")
	if b, err := exec.Command(copBinary(t), "import", "formio", broken, "-o", brokenOut).CombinedOutput(); exitCode(err) != 2 || !strings.Contains(string(b), "broken.json line 1 column 17 is not JSON") {
		t.Errorf("broken JSON: exit %d %s", exitCode(err), b)
	}
	if _, err := os.Stat(brokenOut); err == nil {
		t.Error("a refused import wrote its output")
	}
}

// cop import bpmn writes the workflow a process describes and the forms
// its user tasks need beside it, says how to check them, and the result
// validates unchanged; a form file already there is kept; --strict writes
// nothing; an entity declaration is refused.
func TestImportBPMN(t *testing.T) {
	dir := t.TempDir()
	process := filepath.Join("..", "..", "workflows", "imports", "testdata", "cop", "seizure-review.bpmn")
	out := filepath.Join(dir, "seizure-review.yaml")
	cmd := exec.Command(copBinary(t), "import", "bpmn", process, "-o", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	code := exitCode(cmd.Run())
	report := stderr.String()
	for _, want := range []string{"seizure-review.bpmn: Task_notify", "form arrange-destruction: written to " + filepath.Join(dir, "arrange-destruction.json") + " (a stand-in",
		"cop import: check it with: cop workflows validate " + out + " --with "} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q:\n%s", want, report)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1 (a report)", code)
	}
	forms, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	args := []string{"workflows", "validate", out}
	for _, f := range forms {
		args = append(args, "--with", f)
	}
	if len(forms) != 2 {
		t.Errorf("forms written: %v", forms)
	}
	if b, err := exec.Command(copBinary(t), args...).CombinedOutput(); err != nil || !strings.Contains(string(b), "valid") {
		t.Errorf("cop workflows validate on the import: %v %s", err, b)
	}

	// A form file already there is the author's: kept.
	stub := filepath.Join(dir, "arrange-destruction.json")
	_ = os.WriteFile(stub, []byte("mine"), 0o644)
	b, _ := exec.Command(copBinary(t), "import", "bpmn", process, "-o", out).CombinedOutput()
	if got, _ := os.ReadFile(stub); string(got) != "mine" || !strings.Contains(string(b), "exists, so it is kept") {
		t.Errorf("an existing form was overwritten (%q): %s", got, b)
	}

	strictDir := t.TempDir()
	if b, err := exec.Command(copBinary(t), "import", "bpmn", process, "--strict", "-o", filepath.Join(strictDir, "w.yaml")).CombinedOutput(); exitCode(err) != 2 || !strings.Contains(string(b), "nothing written (--strict)") {
		t.Errorf("--strict: exit %d %s", exitCode(err), b)
	}
	if left, _ := os.ReadDir(strictDir); len(left) > 0 {
		t.Errorf("--strict wrote %d files", len(left))
	}

	bomb := filepath.Join(dir, "bomb.bpmn")
	_ = os.WriteFile(bomb, []byte(`<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" isExecutable="true">&b;</process></definitions>`), 0o644)
	if b, err := exec.Command(copBinary(t), "import", "bpmn", bomb).CombinedOutput(); exitCode(err) != 2 || !strings.Contains(string(b), "bomb.bpmn line 2") {
		t.Errorf("an entity bomb: exit %d %s", exitCode(err), b)
	}
}
