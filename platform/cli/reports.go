package cli

import (
	"fmt"
	"io"
	"os"

	"cop/forms"
	"cop/forms/examples"
	"cop/platform/reports"
)

// reportsCmd runs `cop reports push|validate FILE`.
func reportsCmd(args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := newFlags("reports " + args[0])
	server := fs.String("server", "", "COP's address (default: $COP_SERVER, else the running cop dev, else http://localhost:8080)")
	token := fs.String("token", "", "bearer token (default: $COP_TOKEN, else an author token from the running cop dev)")
	var with multiFlag
	fs.Var(&with, "with", "a form file a submissions report reads, to check against offline (repeatable)")
	file, content, err := readFileArg(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "push":
		return push("reports", file, content, *server, *token, false, stdout)
	case "validate":
		if *server != "" {
			return push("reports", file, content, *server, *token, true, stdout)
		}
		return validateReportOffline(file, content, with, stdout)
	}
	return errUsage
}

// validateReportOffline checks a report's shape, and the fields and
// answers it names against its source: a form of the example pack or one
// given with --with. Who it may grant needs the registry (--server).
func validateReportOffline(file string, content []byte, with []string, stdout io.Writer) error {
	r, err := reports.Parse(content)
	if err == nil {
		var form *forms.Form
		if form, err = offlineForm(r, with); err == nil {
			var ps forms.Problems
			if r.Source.Kind != reports.SourceSubmissions {
				form = nil
			}
			if _, ps = reports.Check(r, reports.NewCatalogue(r.Source.Kind, form)); len(ps) > 0 {
				err = ps
			}
		}
	}
	if err := reportProblems(stdout, file, err); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid (who it grants is checked by COP: validate --server URL)\n", file)
	return nil
}

// offlineForm is the form a report reads, from --with files or else the
// example pack; nil for a report of a workflow.
func offlineForm(r *reports.Report, with []string) (*forms.Form, error) {
	if r.Source.Form == "" {
		return nil, nil
	}
	lib, pack, err := examples.Compile()
	if err != nil {
		return nil, fmt.Errorf("compile the example pack: %w", err)
	}
	for _, w := range with {
		b, err := os.ReadFile(w)
		if err != nil {
			return nil, fmt.Errorf("read --with %s: %w", w, err)
		}
		d, err := forms.ParseForm(b)
		if err != nil {
			return nil, fmt.Errorf("--with %s: %w", w, err)
		}
		if d.Name != r.Source.Form {
			continue
		}
		return forms.CompileForm(d, lib)
	}
	for _, f := range pack {
		if f.Def.Name == r.Source.Form {
			return f, nil
		}
	}
	return nil, forms.Problems{{Pointer: "/source/form", Message: fmt.Sprintf(
		"form %q is not in the example pack; give its file with --with, or check against COP with --server", r.Source.Form)}}
}
