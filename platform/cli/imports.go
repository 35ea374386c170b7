package cli

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cop/forms/imports"
	"cop/platform/web"
	wfimports "cop/workflows/imports"
)

// exitError ends a command with its own exit status (the message, if any,
// already said).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// importCmd runs `cop import spreadsheet FILE --name NAME`: the inferred
// form definition to standard output (or -o FILE), what could not be
// mapped to standard error. Exit 0 with nothing to report, 1 with a
// report (the definition is still written), 2 when nothing was produced.
func importCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "xlsform":
			return importXLSForm(args[1:], stdout, stderr)
		case "formio":
			return importFormio(args[1:], stdout, stderr)
		case "bpmn":
			return importBPMN(args[1:], stdout, stderr)
		}
	}
	if len(args) == 0 || args[0] != "spreadsheet" {
		return errUsage
	}
	fs := newFlags("import spreadsheet")
	name := fs.String("name", "", "the form's name (required)")
	title := fs.String("title", "", "the form's title (default: the name in words)")
	sheet := fs.String("sheet", "", "the sheet of an .xlsx workbook (default: its first)")
	out := fs.String("o", "", "write the definition to this file instead of standard output")
	strict := fs.Bool("strict", false, "refuse, writing nothing, when anything could not be mapped")
	history := fs.Bool("history", false, "import the rows as the form's past submissions into COP (publishing the form first when COP has none of that name)")
	submittedBy := fs.String("submitted-by", "", "with --history: the header of the column saying who recorded each row")
	submittedAt := fs.String("submitted-at", "", "with --history: the header of the column saying when each row was recorded")
	server := fs.String("server", "", "with --history: COP's address (as for cop forms push)")
	token := fs.String("token", "", "with --history: bearer token (as for cop forms push)")
	file, err := fileArg(fs, args[1:])
	if err != nil {
		return err
	}
	if *name == "" {
		return &exitError{2, "cop import spreadsheet: give the form a name with --name NAME"}
	}
	if *history && (*submittedBy == "" || *submittedAt == "") {
		return &exitError{2, "cop import spreadsheet --history: name the columns saying who recorded each row and when, with --submitted-by COLUMN --submitted-at COLUMN"}
	}
	if !*history && (*submittedBy != "" || *submittedAt != "") {
		return &exitError{2, "cop import spreadsheet: --submitted-by and --submitted-at go with --history"}
	}
	content, err := readBounded(file, imports.DefaultLimits.MaxBytes)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	if *history && len(content) > web.BodyLimit {
		return &exitError{2, fmt.Sprintf("cop import: %s is %d bytes; COP's API takes at most %d in a request, so its history cannot be sent: split it (by year, say)", file, len(content), web.BodyLimit)}
	}
	tbl, err := imports.Read(filepath.Base(file), content, *sheet, imports.DefaultLimits)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	if *history {
		for _, c := range []struct{ flag, header string }{{"--submitted-by", *submittedBy}, {"--submitted-at", *submittedAt}} {
			if tbl.Find(c.header) < 0 {
				return &exitError{2, fmt.Sprintf("cop import: %s %q is not a column header of %s; its headers are %s", c.flag, c.header, filepath.Base(file), strings.Join(tbl.Header, ", "))}
			}
		}
	}
	form, err := imports.InferForm(tbl, imports.FormOptions{Name: *name, Title: *title})
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	if err := writeImport(form, *out, *strict, "mapped", stdout, stderr); err != nil {
		return err
	}
	refused := 0
	if *history {
		if refused, err = importHistory(file, content, *name, *sheet, *submittedBy, *submittedAt, *server, *token, form.Definition, stderr); err != nil {
			// The definition is written by now: not "nothing produced".
			return &exitError{1, "cop import: the definition is written, but the history was not imported: " + err.Error()}
		}
	}
	if refused > 0 {
		return &exitError{1, fmt.Sprintf("cop import: %s of the history refused (above): correct them in the sheet and import it again; rows stored before are not stored again", plural(refused, "row"))}
	}
	if len(form.Report) > 0 {
		return &exitError{1, fmt.Sprintf("cop import: %s from %d rows; %s could not be mapped (above): read them before publishing",
			plural(len(form.Fields), "question"), len(tbl.Rows), plural(len(form.Report), "item"))}
	}
	fmt.Fprintf(stderr, "cop import: %s from %d rows; everything mapped\n", plural(len(form.Fields), "question"), len(tbl.Rows))
	return nil
}

// writeImport says the report on stderr and writes the definition (to
// out, else stdout); with strict, a report writes nothing (exit 2).
func writeImport(form imports.Form, out string, strict bool, done string, stdout, stderr io.Writer) error {
	for _, it := range form.Report {
		fmt.Fprintln(stderr, it.String())
	}
	if strict && len(form.Report) > 0 {
		return &exitError{2, fmt.Sprintf("cop import: %s could not be %s (above); nothing written (--strict)", plural(len(form.Report), "item"), done)}
	}
	if err := writeOutput(out, form.Definition, stdout); err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	return nil
}

// readBounded reads a file of at most limit bytes, refusing a larger one
// before reading it.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is over %d bytes; an import takes at most %d (the file size limit)", path, limit, limit)
	}
	return b, nil
}

// writeOutput writes to path (all or nothing: a temporary file renamed
// into place), or to stdout when path is empty.
func writeOutput(path string, b []byte, stdout io.Writer) error {
	if path == "" {
		_, err := stdout.Write(b)
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cop-import-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// importHistory publishes the inferred form when COP has no form of that
// name, then posts the file's rows as its history, and says on w what
// became of them. It returns how many rows were refused.
func importHistory(file string, content []byte, name, sheet, submittedBy, submittedAt, server, token string, def []byte, w io.Writer) (int, error) {
	base, tok, err := apiTarget(server, token)
	if err != nil {
		return 0, err
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	call := func(req *http.Request) (int, []byte, error) {
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, fmt.Errorf("cannot reach COP at %s: %w", base, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		return resp.StatusCode, body, err
	}
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/forms/"+url.PathEscape(name), nil)
	status, body, err := call(req)
	switch {
	case err != nil:
		return 0, err
	case status == http.StatusNotFound:
		req, _ = http.NewRequest(http.MethodPost, base+"/api/v1/forms", bytes.NewReader(def))
		req.Header.Set("Content-Type", "application/json")
		if status, body, err = call(req); err != nil {
			return 0, err
		}
		if status != http.StatusCreated {
			return 0, fmt.Errorf("publish form %s: %s", name, apiRefusal(status, body))
		}
		fmt.Fprintf(w, "form %s 1.0.0: published as inferred\n", name)
	case status == http.StatusOK:
		var f struct{ Version string }
		_ = json.Unmarshal(body, &f)
		fmt.Fprintf(w, "form %s: COP has it (version %s); the rows are imported into that\n", name, f.Version)
	default:
		return 0, fmt.Errorf("read form %s: %s", name, apiRefusal(status, body))
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range map[string]string{"form": name, "sheet": sheet, "submittedBy": submittedBy, "submittedAt": submittedAt} {
		if v != "" {
			_ = mw.WriteField(k, v)
		}
	}
	part, _ := mw.CreateFormFile("file", filepath.Base(file))
	_, _ = part.Write(content)
	_ = mw.Close()
	req, _ = http.NewRequest(http.MethodPost, base+"/api/v1/imports/spreadsheet/history", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	status, body, err = call(req)
	if err != nil {
		return 0, err
	}
	if status != http.StatusOK {
		return 0, fmt.Errorf("import the history: %s", apiRefusal(status, body))
	}
	var res struct {
		Imported, AlreadyImported, Rows int
		Refused                         []struct {
			Row    int
			Errors []struct{ Pointer, Where, Message string }
		}
		Unmapped []struct{ Where, Why string }
	}
	if err := json.Unmarshal(body, &res); err != nil {
		return 0, fmt.Errorf("read COP's answer: %w", err)
	}
	for _, u := range res.Unmapped {
		fmt.Fprintf(w, "%s: %s\n", u.Where, u.Why)
	}
	for _, r := range res.Refused {
		for _, e := range r.Errors {
			where := cmp.Or(e.Where, fmt.Sprintf("%s row %d", filepath.Base(file), r.Row))
			if e.Pointer != "" {
				where += " (" + e.Pointer + ")"
			}
			fmt.Fprintf(w, "%s: %s\n", where, e.Message)
		}
	}
	fmt.Fprintf(w, "history: %d rows: %d imported, %d imported before, %d refused\n", res.Rows, res.Imported, res.AlreadyImported, len(res.Refused))
	return len(res.Refused), nil
}

// apiRefusal says what COP answered to a request it did not take.
func apiRefusal(status int, body []byte) string {
	var p struct {
		Detail string
		Errors []struct{ Pointer, Message string }
	}
	if json.Unmarshal(body, &p) != nil || p.Detail == "" {
		return fmt.Sprintf("%d %s", status, strings.TrimSpace(string(body)))
	}
	msg := fmt.Sprintf("%d: %s", status, p.Detail)
	for _, e := range p.Errors {
		msg += fmt.Sprintf("; %s: %s", orRoot(e.Pointer), e.Message)
	}
	return msg
}

// importXLSForm runs `cop import xlsform FILE`: the form an XLSForm
// workbook describes to standard output (or -o FILE), what it could not
// translate to standard error; exit as for a spreadsheet.
func importXLSForm(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import xlsform")
	out := fs.String("o", "", "write the definition to this file instead of standard output")
	strict := fs.Bool("strict", false, "refuse, writing nothing, when anything could not be translated")
	file, err := fileArg(fs, args)
	if err != nil {
		return err
	}
	content, err := readBounded(file, imports.DefaultLimits.MaxBytes)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	form, err := imports.XLSForm(filepath.Base(file), content, imports.DefaultLimits)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	return writeTranslated(form, *out, *strict, stdout, stderr)
}

// writeTranslated writes a translated form and its report, and ends with
// the exit status a report gives.
func writeTranslated(form imports.Form, out string, strict bool, stdout, stderr io.Writer) error {
	if err := writeImport(form, out, strict, "translated", stdout, stderr); err != nil {
		return err
	}
	if len(form.Report) > 0 {
		return &exitError{1, fmt.Sprintf("cop import: %s; %s could not be translated (above): read them before publishing",
			plural(len(form.Fields), "question"), plural(len(form.Report), "item"))}
	}
	fmt.Fprintf(stderr, "cop import: %s; everything translated\n", plural(len(form.Fields), "question"))
	return nil
}

// importFormio runs `cop import formio FILE`: the form a Form.io form's
// JSON describes to standard output (or -o FILE), what it could not
// translate to standard error; exit as for a spreadsheet. A select whose
// options come from a URL becomes a reference data question when a
// segment of the URL names a set in the example pack or a --with file.
func importFormio(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import formio")
	name := fs.String("name", "", "the form's name (default: the Form.io form's name, made a form name)")
	title := fs.String("title", "", "the form's title (default: the Form.io form's title)")
	pick := fs.String("form", "", "in a project export, the form to import")
	out := fs.String("o", "", "write the definition to this file instead of standard output")
	strict := fs.Bool("strict", false, "refuse, writing nothing, when anything could not be translated")
	var with multiFlag
	fs.Var(&with, "with", "a reference data file the form's URL selects may name (repeatable)")
	file, err := fileArg(fs, args)
	if err != nil {
		return err
	}
	resolver, err := localResolver(with)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	content, err := readBounded(file, imports.DefaultLimits.MaxBytes)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	known := func(n string) bool { _, err := resolver.RefData(n); return err == nil }
	form, err := imports.Formio(filepath.Base(file), content, imports.FormioOptions{Name: *name, Title: *title, Form: *pick, RefData: known}, imports.DefaultLimits)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	return writeTranslated(form, *out, *strict, stdout, stderr)
}

// importBPMN runs `cop import bpmn FILE`: the workflow a BPMN process
// describes to standard output (or -o FILE), the forms its user tasks and
// start need written to --forms DIR (default: beside -o, else the current
// directory; an existing file is never overwritten), what it could not
// translate to standard error; exit as for a spreadsheet.
func importBPMN(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import bpmn")
	out := fs.String("o", "", "write the workflow to this file instead of standard output")
	formsDir := fs.String("forms", "", "write the forms the workflow needs to this directory (default: -o's directory, else the current one)")
	namespace := fs.String("namespace", "", "the workflow's namespace (default: imported)")
	process := fs.String("process", "", "the id of the process to import, when the file has several")
	strict := fs.Bool("strict", false, "refuse, writing nothing, when anything could not be translated")
	file, err := fileArg(fs, args)
	if err != nil {
		return err
	}
	content, err := readBounded(file, wfimports.DefaultLimits.MaxBytes)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	res, err := wfimports.BPMN(filepath.Base(file), content, wfimports.Options{Namespace: *namespace, Process: *process}, wfimports.DefaultLimits)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	for _, it := range res.Report {
		fmt.Fprintln(stderr, it.String())
	}
	if *strict && len(res.Report) > 0 {
		return &exitError{2, fmt.Sprintf("cop import: %s could not be translated (above); nothing written (--strict)", plural(len(res.Report), "item"))}
	}
	dir := *formsDir
	if dir == "" && *out != "" {
		dir = filepath.Dir(*out)
	}
	withArgs, err := writeImportedForms(res.Forms, cmp.Or(dir, "."), stderr)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	if err := writeOutput(*out, res.Workflow, stdout); err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	if len(withArgs) > 0 {
		fmt.Fprintf(stderr, "cop import: check it with: cop workflows validate %s%s\n", cmp.Or(*out, "WORKFLOW.yaml"), withArgs)
	}
	if len(res.Report) > 0 {
		return &exitError{1, fmt.Sprintf("cop import: workflow %s with %s; %s could not be translated (above): read them before publishing",
			res.Name, plural(len(res.Forms), "form"), plural(len(res.Report), "item"))}
	}
	fmt.Fprintf(stderr, "cop import: workflow %s with %s; everything translated\n", res.Name, plural(len(res.Forms), "form"))
	return nil
}

// writeImportedForms writes each form as DIR/NAME.json, keeping a file
// already there (it may be the real form, imported from Form.io), and
// returns the --with arguments that load them for validation.
func writeImportedForms(forms []wfimports.Form, dir string, w io.Writer) (string, error) {
	var with strings.Builder
	for _, f := range forms {
		path := filepath.Join(dir, f.Name+".json")
		fmt.Fprintf(&with, " --with %s", path)
		if _, err := os.Stat(path); err == nil {
			fmt.Fprintf(w, "form %s: %s exists, so it is kept (remove it to write the import's)\n", f.Name, path)
			continue
		}
		if err := writeOutput(path, append(bytes.TrimRight(f.Definition, "\n"), '\n'), nil); err != nil {
			return "", err
		}
		what := "from the task's form fields"
		if f.Stub {
			what = "a stand-in: replace it with the real form before publishing"
		}
		fmt.Fprintf(w, "form %s: written to %s (%s)\n", f.Name, path, what)
	}
	return with.String(), nil
}
