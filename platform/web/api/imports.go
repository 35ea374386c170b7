package api

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/forms/imports"
	"cop/platform/cases"
	"cop/platform/problem"
	"cop/platform/web/route"
	wfimports "cop/workflows/imports"
)

// bindImports: authors and admins. Inferring a form stores nothing; a
// history import is further limited, by the cases service, to admins and
// the form's own authors.
func (a *API) bindImports(r *route.Router) {
	r.Add(fiber.MethodPost, "/api/v1/imports/spreadsheet", authors, a.importSpreadsheet, route.TakesMultipart)
	r.Add(fiber.MethodPost, "/api/v1/imports/spreadsheet/history", authors, a.importSpreadsheetHistory, route.TakesMultipart)
	r.Add(fiber.MethodPost, "/api/v1/imports/xlsform", authors, a.importXLSForm, route.TakesMultipart)
	r.Add(fiber.MethodPost, "/api/v1/imports/formio", authors, a.importFormio, route.TakesMultipart)
	r.Add(fiber.MethodPost, "/api/v1/imports/bpmn", authors, a.importBPMN, route.TakesMultipart)
}

const onlyDryRun = "an import only proposes a definition (dryRun=true); publish it with POST /api/v1/forms once you have checked it"

// importFormio handles POST /api/v1/imports/formio (multipart: file,
// optional name and form): a dry run, as `cop import formio`, with the
// reference data sets COP has.
func (a *API) importFormio(c *fiber.Ctx) error {
	if !c.QueryBool("dryRun", true) {
		return route.WriteProblem(c, fiber.StatusBadRequest, onlyDryRun)
	}
	name, content, err := uploaded(c)
	if err != nil {
		return err
	}
	refdata := a.Definitions.RefDataLookup(c.UserContext())
	form, err := imports.Formio(name, content, imports.FormioOptions{Name: c.FormValue("name"), Title: c.FormValue("title"), Form: c.FormValue("form"), RefData: refdata.Has}, imports.DefaultLimits)
	if refdata.Err != nil {
		return route.Fail(c, refdata.Err)
	}
	if err != nil {
		ptr := "/file"
		if strings.HasPrefix(err.Error(), "form name") {
			ptr = "/name"
		}
		return route.Fail(c, problem.Invalidf([]problem.Field{{Pointer: ptr, Message: err.Error()}}, "the file cannot be imported; see errors"))
	}
	return c.JSON(proposal(form, "", 0))
}

// bpmnImport is the answer to a BPMN import.
type bpmnImport struct {
	Name     string           `json:"name"`
	Workflow string           `json:"workflow"`
	Forms    []wfimports.Form `json:"forms"`
	Report   []wfimports.Item `json:"report"`
}

// importBPMN handles POST /api/v1/imports/bpmn (multipart: file, optional
// namespace and process): a dry run, as `cop import bpmn`.
func (a *API) importBPMN(c *fiber.Ctx) error {
	if !c.QueryBool("dryRun", true) {
		return route.WriteProblem(c, fiber.StatusBadRequest, "an import only proposes definitions (dryRun=true); publish the forms with POST /api/v1/forms and the workflow with POST /api/v1/workflows once you have checked them")
	}
	name, content, err := uploaded(c)
	if err != nil {
		return err
	}
	res, err := wfimports.BPMN(name, content, wfimports.Options{Namespace: c.FormValue("namespace"), Process: c.FormValue("process")}, wfimports.DefaultLimits)
	if err != nil {
		return route.Fail(c, problem.Invalidf([]problem.Field{{Pointer: "/file", Message: err.Error()}}, "the file cannot be imported; see errors"))
	}
	out := bpmnImport{Name: res.Name, Workflow: string(res.Workflow), Forms: res.Forms, Report: res.Report}
	if out.Forms == nil {
		out.Forms = []wfimports.Form{}
	}
	if out.Report == nil {
		out.Report = []wfimports.Item{}
	}
	return c.JSON(out)
}

// importXLSForm handles POST /api/v1/imports/xlsform (multipart: file):
// a dry run, as `cop import xlsform`.
func (a *API) importXLSForm(c *fiber.Ctx) error {
	if !c.QueryBool("dryRun", true) {
		return route.WriteProblem(c, fiber.StatusBadRequest, onlyDryRun)
	}
	name, content, err := uploaded(c)
	if err != nil {
		return err
	}
	form, err := imports.XLSForm(name, content, imports.DefaultLimits)
	if err != nil {
		return route.Fail(c, problem.Invalidf([]problem.Field{{Pointer: "/file", Message: err.Error()}}, "the file cannot be imported; see errors"))
	}
	return c.JSON(proposal(form, "", 0))
}

// proposal is the answer to an import's dry run.
func proposal(form imports.Form, sheet string, rows int) spreadsheetImport {
	report := form.Report
	if report == nil {
		report = []imports.Item{}
	}
	return spreadsheetImport{Definition: json.RawMessage(form.Definition), Fields: form.Fields, Report: report, Sheet: sheet, Rows: rows}
}

// spreadsheetImport is the answer to an import: the definition it
// proposes, what each column became, and what could not be mapped.
type spreadsheetImport struct {
	Definition any             `json:"definition"`
	Fields     []imports.Field `json:"fields"`
	Report     []imports.Item  `json:"report"`
	Sheet      string          `json:"sheet,omitempty"`
	Rows       int             `json:"rows"`
}

// importSpreadsheet handles POST /api/v1/imports/spreadsheet
// (multipart: file, name, optional title and sheet): a dry run, as `cop
// import spreadsheet`. It never stores the definition: publish it with
// POST /api/v1/forms once it is checked.
func (a *API) importSpreadsheet(c *fiber.Ctx) error {
	if !c.QueryBool("dryRun", true) {
		return route.WriteProblem(c, fiber.StatusBadRequest, onlyDryRun)
	}
	name, content, err := uploaded(c)
	if err != nil {
		return err
	}
	if c.FormValue("name") == "" {
		return route.WriteProblem(c, fiber.StatusBadRequest, "name the form the spreadsheet becomes", problem.Field{Pointer: "/name", Message: "name is required"})
	}
	tbl, err := imports.Read(name, content, c.FormValue("sheet"), imports.DefaultLimits)
	if err != nil {
		return route.Fail(c, problem.Invalidf([]problem.Field{{Pointer: "/file", Message: err.Error()}}, "the file cannot be imported; see errors"))
	}
	form, err := imports.InferForm(tbl, imports.FormOptions{Name: c.FormValue("name"), Title: c.FormValue("title")})
	if err != nil {
		return route.Fail(c, problem.Invalidf([]problem.Field{{Pointer: "/name", Message: err.Error()}}, "the form cannot be named so; see errors"))
	}
	return c.JSON(proposal(form, tbl.Sheet, len(tbl.Rows)))
}

// importSpreadsheetHistory handles POST /api/v1/imports/spreadsheet/history
// (multipart: file, form, optional version and sheet, submittedBy and
// submittedAt naming the columns that say who recorded each row and
// when): each valid row stored once as a past submission.
func (a *API) importSpreadsheetHistory(c *fiber.Ctx) error {
	name, content, err := uploaded(c)
	if err != nil {
		return err
	}
	if c.FormValue("form") == "" {
		return route.WriteProblem(c, fiber.StatusBadRequest, "name the form whose history the spreadsheet holds", problem.Field{Pointer: "/form", Message: "form is required"})
	}
	res, err := a.Cases.ImportHistoryFile(c.UserContext(), route.Principal(c), route.Who(c), cases.HistoryFile{
		Form: c.FormValue("form"), Version: c.FormValue("version"), Name: name, Content: content, Sheet: c.FormValue("sheet"),
		SubmittedBy: c.FormValue("submittedBy"), SubmittedAt: c.FormValue("submittedAt"),
	})
	if err != nil {
		return route.Fail(c, err)
	}
	return c.JSON(res)
}

// uploaded is the request's file part, read whole (the body limit bounds
// it).
func uploaded(c *fiber.Ctx) (string, []byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return "", nil, route.Refuse(fiber.StatusBadRequest, "send multipart/form-data with the file to import as file",
			problem.Field{Pointer: "/file", Message: "Select the file to import"})
	}
	content, err := readPart(fh)
	if err != nil {
		return "", nil, err
	}
	return fh.Filename, content, nil
}

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	return b, nil
}
