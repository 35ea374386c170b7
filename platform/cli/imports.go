package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"cop/forms/imports"
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
	if len(args) == 0 || args[0] != "spreadsheet" {
		return errUsage
	}
	fs := newFlags("import spreadsheet")
	name := fs.String("name", "", "the form's name (required)")
	title := fs.String("title", "", "the form's title (default: the name in words)")
	sheet := fs.String("sheet", "", "the sheet of an .xlsx workbook (default: its first)")
	out := fs.String("o", "", "write the definition to this file instead of standard output")
	strict := fs.Bool("strict", false, "refuse, writing nothing, when anything could not be mapped")
	file, err := fileArg(fs, args[1:])
	if err != nil {
		return err
	}
	if *name == "" {
		return &exitError{2, "cop import spreadsheet: give the form a name with --name NAME"}
	}
	content, err := readBounded(file, imports.DefaultLimits.MaxBytes)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	tbl, err := imports.Read(filepath.Base(file), content, *sheet, imports.DefaultLimits)
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	form, err := imports.InferForm(tbl, imports.FormOptions{Name: *name, Title: *title})
	if err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	for _, it := range form.Report {
		fmt.Fprintln(stderr, it.String())
	}
	if *strict && len(form.Report) > 0 {
		return &exitError{2, fmt.Sprintf("cop import: %s could not be mapped (above); nothing written (--strict)", plural(len(form.Report), "item"))}
	}
	if err := writeOutput(*out, form.Definition, stdout); err != nil {
		return &exitError{2, "cop import: " + err.Error()}
	}
	if len(form.Report) > 0 {
		return &exitError{1, fmt.Sprintf("cop import: %s from %d rows; %s could not be mapped (above): read them before publishing",
			plural(len(form.Fields), "question"), len(tbl.Rows), plural(len(form.Report), "item"))}
	}
	fmt.Fprintf(stderr, "cop import: %s from %d rows; everything mapped\n", plural(len(form.Fields), "question"), len(tbl.Rows))
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
