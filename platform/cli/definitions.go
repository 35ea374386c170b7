package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"cop/forms"
	"cop/forms/examples"
	"cop/platform/devstack"
	"cop/platform/problem"
	"cop/platform/registry"
	"cop/workflows"
)

// definitionCmd runs `cop forms|terms|refdata push|validate FILE`.
func definitionCmd(collection string, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := newFlags(collection + " " + args[0])
	server := fs.String("server", "", "COP's address (default: $COP_SERVER, else the running cop dev, else http://localhost:8080)")
	token := fs.String("token", "", "bearer token (default: $COP_TOKEN, else an author token from the running cop dev)")
	var with multiFlag
	fs.Var(&with, "with", "a term or reference data file to check against offline (repeatable)")
	file, content, err := readFileArg(fs, args[1:])
	if err != nil {
		return err
	}
	if content, err = asJSON(file, content); err != nil {
		return err
	}
	switch args[0] {
	case "push":
		return push(collection, file, content, *server, *token, false, stdout)
	case "validate":
		if *server != "" {
			return push(collection, file, content, *server, *token, true, stdout)
		}
		return validateOffline(collection, file, content, with, stdout)
	}
	return errUsage
}

// readFileArg parses flags that may come before or after the one file
// argument, and reads that file.
func readFileArg(fs *flag.FlagSet, args []string) (string, []byte, error) {
	file, err := fileArg(fs, args)
	if err != nil {
		return "", nil, err
	}
	content, err := os.ReadFile(file)
	if err != nil {
		return "", nil, fmt.Errorf("read %s: %w", file, err)
	}
	return file, content, nil
}

// fileArg parses the flags, wherever they stand, around the one FILE.
func fileArg(fs *flag.FlagSet, args []string) (string, error) {
	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return "", errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(positional) != 1 {
		return "", errUsage
	}
	return positional[0], nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// push posts a definition to the API (dryRun: validate there without storing).
func push(collection, file string, content []byte, server, token string, dryRun bool, stdout io.Writer) error {
	base, tok, err := apiTarget(server, token)
	if err != nil {
		return err
	}
	endpoint := base + "/api/v1/" + collection
	if dryRun {
		endpoint += "?dryRun=true"
	}
	req, err := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(content))
	if err != nil {
		return err
	}
	contentType := "application/json"
	if !json.Valid(content) {
		contentType = "application/yaml" // only workflows are written in YAML; others get a clear 400
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+tok)
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach COP at %s: %w", base, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	switch resp.StatusCode {
	case http.StatusCreated, http.StatusOK:
		var v struct {
			Kind, Namespace, Name, Version, Checksum string
			Pins                                     []forms.Pin
		}
		_ = json.Unmarshal(body, &v)
		if v.Kind == "" && v.Namespace != "" {
			v.Kind, v.Name = "workflow", v.Namespace+"/"+v.Name
		}
		what := map[bool]string{true: "created", false: "unchanged (identical to the stored version)"}[resp.StatusCode == http.StatusCreated]
		if dryRun {
			what = "valid (checked by " + base + ", not stored)"
		}
		fmt.Fprintf(stdout, "%s %s %s: %s\n", v.Kind, v.Name, v.Version, what)
		printPins(stdout, v.Pins)
		return nil
	}
	var p struct {
		Detail string
		Errors []struct{ Pointer, Message string }
	}
	if json.Unmarshal(body, &p) != nil || p.Detail == "" {
		return fmt.Errorf("%s answered %s: %s", base, resp.Status, strings.TrimSpace(string(body)))
	}
	for _, e := range p.Errors {
		fmt.Fprintf(stdout, "%s: %s: %s\n", file, orRoot(e.Pointer), e.Message)
	}
	return fmt.Errorf("%s refused %s (%s): %s", base, file, resp.Status, p.Detail)
}

func printPins(w io.Writer, pins []forms.Pin) {
	for _, p := range pins {
		in := ""
		if p.In != "" {
			in = " (in " + p.In + ")"
		}
		fmt.Fprintf(w, "  uses %s%s\n", p, in)
	}
}

func orRoot(pointer string) string {
	if pointer == "" {
		return "(document)"
	}
	return pointer
}

// apiTarget works out where to send a request and with which token.
func apiTarget(server, token string) (string, string, error) {
	if server == "" {
		server = os.Getenv("COP_SERVER")
	}
	st, devErr := readDevState(defaultDataDir())
	if server == "" {
		server = "http://localhost:8080"
		if devErr == nil {
			server = st.PublicURL
		}
	}
	if _, err := url.ParseRequestURI(server); err != nil {
		return "", "", fmt.Errorf("--server %q is not a URL", server)
	}
	server = strings.TrimRight(server, "/")
	if token == "" {
		token = os.Getenv("COP_TOKEN")
	}
	if token == "" {
		if devErr != nil || st.PublicURL != server {
			return "", "", errors.New("no token: pass --token or set COP_TOKEN (or run it beside `make run`, which lends an author token)")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		tok, err := devstack.Token(ctx, st.Issuer, st.PublicURL+"/auth/callback", "author", devstack.DevPassword)
		if err != nil {
			return "", "", fmt.Errorf("get an author token from cop dev: %w", err)
		}
		token = tok.AccessToken
	}
	return server, token, nil
}

// validateOffline compiles a definition against the example pack and the
// files given with --with, the same compiler the server runs.
func validateOffline(collection, file string, content []byte, with []string, stdout io.Writer) error {
	lib := forms.NewLibrary()
	if err := loadLibrary(lib, with); err != nil {
		return err
	}
	var pins []forms.Pin
	var err error
	switch collection {
	case "forms":
		var d forms.Definition
		if d, err = forms.ParseForm(content); err == nil {
			var f *forms.Form
			if f, err = forms.CompileForm(d, lib); err == nil {
				pins = f.Pins
			}
		}
	case "terms":
		var t forms.TermDefinition
		if t, err = forms.ParseTerm(content); err == nil {
			var ct *forms.CompiledTerm
			if ct, err = forms.CompileTerm(t, lib); err == nil {
				pins = ct.Pins
			}
		}
	case "refdata":
		_, err = forms.ParseRefData(content)
	}
	if idErr := checkIdentity(content); idErr != nil {
		// The name and version come first, as the server checks them first.
		var id, rest forms.Problems
		if errors.As(idErr, &id) && errors.As(err, &rest) {
			err = append(id, rest...)
		} else {
			err = idErr
		}
	}
	if err := reportProblems(stdout, file, err); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: valid\n", file)
	printPins(stdout, pins)
	return nil
}

// reportProblems prints each problem of an offline check at its pointer
// and says the file is not valid; other errors pass through.
func reportProblems(stdout io.Writer, file string, err error) error {
	var problems forms.Problems
	if errors.As(err, &problems) {
		for _, p := range problems {
			fmt.Fprintf(stdout, "%s: %s: %s\n", file, orRoot(p.Pointer), p.Message)
		}
		return fmt.Errorf("%s is not valid: %s", file, plural(len(problems), "problem"))
	}
	return err
}

// loadLibrary holds the example pack, then the --with files (which win).
func loadLibrary(lib *forms.Library, with []string) error {
	type entry struct {
		name    string
		content []byte
	}
	var all []entry
	for _, f := range examples.All() {
		if f.Kind != "forms" {
			all = append(all, entry{"example " + f.Kind + "/" + f.Name, f.Content})
		}
	}
	for _, w := range with {
		b, err := os.ReadFile(w)
		if err != nil {
			return fmt.Errorf("read --with %s: %w", w, err)
		}
		if b, err = asJSON(w, b); err != nil {
			return err
		}
		all = append(all, entry{w, b})
	}
	for _, e := range all {
		var probe struct {
			Schema json.RawMessage
			Items  json.RawMessage
		}
		if err := json.Unmarshal(e.content, &probe); err != nil {
			return fmt.Errorf("%s is not JSON: %w", e.name, err)
		}
		switch {
		case probe.Items != nil:
			d, err := forms.ParseRefData(e.content)
			if err != nil {
				return fmt.Errorf("%s: %w", e.name, err)
			}
			lib.AddRefData(d)
		case probe.Schema != nil:
			t, err := forms.ParseTerm(e.content)
			if err != nil {
				return fmt.Errorf("%s: %w", e.name, err)
			}
			lib.AddTerm(t)
		default:
			return fmt.Errorf("%s is neither a term (with a schema) nor a reference data set (with items)", e.name)
		}
	}
	return nil
}

// checkIdentity applies the registry's name and version rules offline.
func checkIdentity(content []byte) error {
	var head struct{ Name, Version string }
	_ = json.Unmarshal(content, &head)
	err := registry.CheckRef(registry.Ref{Kind: "form", Namespace: registry.GlobalNamespace, Name: head.Name, Version: head.Version})
	if invalid, ok := problem.As(err); ok && len(invalid.Fields) > 0 {
		return forms.Problems(invalid.Fields)
	}
	return err
}

// asJSON reads a form, data term or reference data set written in YAML as
// the JSON the API takes (in the order it was written); JSON passes as it
// is. Text that is neither is refused with where it goes wrong.
func asJSON(file string, content []byte) ([]byte, error) {
	if workflows.LooksLikeJSON(content) {
		return content, nil
	}
	js, at, err := workflows.SourceJSON(content)
	if err != nil {
		if at != nil {
			return nil, fmt.Errorf("%s: line %d, column %d: %w", file, at.Line, at.Column, err)
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return js, nil
}
