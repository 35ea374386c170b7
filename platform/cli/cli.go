// Package cli is the one place that wires COP together: the `cop` commands.
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"go.temporal.io/sdk/worker"
)

const usage = `cop — the COP forms and workflow platform

Usage:
  cop dev                    run everything locally: PostgreSQL, Temporal, a development
                             OpenID provider, the web server and worker (Ctrl-C stops all)
  cop dev token --role ROLE  print an access token for the demo user of ROLE
                             (officer, supervisor, author, integrator, manager, operator, admin) from a running cop dev
  cop dev mail [--show N]    list the email cop dev's mail server kept (.data/mail), newest first;
                             --show N prints the Nth in full
  cop dev temporal --postgres URL   a Temporal server keeping history in PostgreSQL (databases and
                             schema set up with Temporal's own tooling; --port 7233, --shards 4)
  cop dev oidc --app URL     the development OpenID provider on its own (--port 8081; --app for
                             each COP web replica's public URL)
  cop serve                  production: web server and worker from the environment
                             (DATABASE_URL, TEMPORAL_ADDRESS, OIDC_*, PUBLIC_URL; see docs/configuration.md)
  cop migrate                apply the database migrations (DATABASE_URL) and exit: a deploy's
                             migration Job; cop serve applies them too, under the same lock
  cop forms push FILE        upload a form definition to COP (--server URL, --token TOKEN;
                             beside a running cop dev both default to it and an author token)
  cop forms validate FILE    check a form offline against the example pack and --with FILE terms
                             and reference data; with --server URL, check it against that COP
  cop terms push|validate FILE, cop refdata push|validate FILE   the same for data terms and
                             reference data sets
  cop workflows push FILE    upload a workflow definition (YAML or JSON) to COP (--server, --token
                             as for forms)
  cop workflows validate FILE   check a workflow definition (YAML or JSON) offline: the DSL's
                             schema, COP's subset and rules, and that the forms it uses are
                             in the example pack or given with --with FILE; with --server URL,
                             check it against that COP's registry instead
  cop workflows run FILE     run a definition to its end on an in-memory Temporal server and
                             print its output, task trace, user tasks and notifications
                             (--input JSON or --submission FILE of start form answers, --json,
                             --event FILE of CloudEvent lines, --task-data JSON, --with FILE);
                             exit 1 when it faults. validate and run warn of expressions
                             reading start form answers the form does not have
  cop reports push FILE      upload a report definition (YAML or JSON) to COP (--server, --token
                             as for forms)
  cop reports validate FILE  check a report offline: its shape, and the fields and answers it
                             names against its form in the example pack or --with FILE; with
                             --server URL, check it against that COP (who it may grant too)
  cop import spreadsheet FILE --name NAME   infer a form from a grey-IT spreadsheet (.xlsx or
                             .csv; --sheet S, --title T): the definition to standard output
                             (-o FILE), what could not be mapped to standard error, each with
                             its sheet and cell; exit 1 when there is such a report (--strict:
                             write nothing), 2 when nothing could be read. --history
                             --submitted-by COLUMN --submitted-at COLUMN also imports the rows
                             into COP as the form's past submissions, each once, publishing
                             the inferred form first when COP has none of that name (--server,
                             --token as for forms push)
  cop import xlsform FILE    the form an XLSForm workbook (survey, choices, settings) describes,
                             with what it could not translate, as for a spreadsheet
  cop import formio FILE     a Form.io form (its JSON export; --name N, --title T, --form F for one form of
                             a project export, --with FILE for reference data its URL selects
                             name), with what it could not translate by JSON path and key
  cop import bpmn FILE       a Camunda 7 / BPMN 2.0 process as a workflow (-o FILE.yaml), and
                             the forms its user tasks need written beside it (--forms DIR);
                             what it could not translate by BPMN element id
  cop audit verify           check the audit trail's hash chain
  cop help                   this text
`

// workflowCacheSize is how many workflows a process keeps in memory
// between their workflow tasks (the SDK's default is 10,000). Workflows
// waiting at user tasks are most of those in flight; one out of the cache
// is replayed from its history when it next moves, which costs a
// millisecond or so, while each cached one holds its input (the pinned
// definitions) and state, a few hundred kilobytes: 10,000 of them would
// be gigabytes.
const workflowCacheSize = 1000

// errUsage marks a command-line mistake (exit 2).
var errUsage = errors.New("usage")

// Main runs a command and returns the process exit code.
func Main(args []string) int {
	// Before any worker, the embedded Temporal server's own included: the
	// SDK sizes its one workflow cache when the first worker is made.
	worker.SetStickyWorkflowCacheSize(workflowCacheSize)
	err := run(args, os.Stdout, os.Stderr)
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprint(os.Stderr, usage)
		return 2
	case errors.As(err, &ee):
		if ee.msg != "" {
			fmt.Fprintln(os.Stderr, ee.msg)
		}
		return ee.code
	default:
		fmt.Fprintln(os.Stderr, "cop: "+err.Error())
		return 1
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "dev":
		if len(args) > 1 && args[1] == "token" {
			return devToken(args[2:], stdout)
		}
		if len(args) > 1 && args[1] == "mail" {
			return devMail(args[2:], stdout)
		}
		if len(args) > 1 && args[1] == "temporal" {
			return devTemporal(args[2:], stderr)
		}
		if len(args) > 1 && args[1] == "oidc" {
			return devOIDC(args[2:], stderr)
		}
		return dev(args[1:], stderr)
	case "serve":
		return serve(args[1:], stderr)
	case "migrate":
		return migrate(args[1:], stderr)
	case "forms", "terms", "refdata":
		return definitionCmd(args[0], args[1:], stdout)
	case "workflows":
		return workflowsCmd(args[1:], stdout, stderr)
	case "reports":
		return reportsCmd(args[1:], stdout)
	case "import":
		return importCmd(args[1:], stdout, stderr)
	case "audit":
		if len(args) > 1 && args[1] == "verify" {
			return auditVerify(args[2:], stdout)
		}
		return errUsage
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q; run `cop help`", args[0])
	}
}

// newFlags returns a flag set that reports mistakes as errors, not exits.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// newLogger builds the process logger: JSON in production, text in dev.
func newLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
