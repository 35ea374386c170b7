package pages

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"cop/forms/imports"
	"cop/platform/web/route"
	"cop/ui"
	wfimports "cop/workflows/imports"
)

// bindImportPages: a team's spreadsheet into a proposed form, for authors
// and admins. Nothing is stored: the proposal goes on to the form upload's
// check, preview and publish.
func (pg *Pages) bindImportPages(r *route.Router) {
	r.Add(fiber.MethodGet, "/author/import", authors, pg.importPage)
	r.Add(fiber.MethodPost, "/author/import", authors, pg.importSpreadsheet, route.TakesPageForm)
}

func (pg *Pages) importPage(c *fiber.Ctx) error {
	return pg.Render(c, fiber.StatusOK, "author-import", ui.AuthorImportData{})
}

// importSpreadsheet reads the chosen sheet and shows the form it proposes
// with the report of what could not be mapped, or, when nothing could be
// read, the page again with the reason at its field.
func (pg *Pages) importSpreadsheet(c *fiber.Ctx) error {
	if err := pg.checkCSRF(c); err != nil {
		return pg.pageError(c, err)
	}
	d := ui.AuthorImportData{Kind: c.FormValue("kind", "spreadsheet"), Name: c.FormValue("name"), Title: c.FormValue("title"), Sheet: c.FormValue("sheet")}
	refuse := func(field, msg string) error {
		d.Errors = []any{map[string]any{"text": msg, "href": "#" + field}}
		switch field {
		case "name":
			d.NameError = map[string]any{"text": msg}
		case "file":
			d.FileError = map[string]any{"text": msg}
		}
		return pg.Render(c, fiber.StatusUnprocessableEntity, "author-import", d)
	}
	fh, err := c.FormFile("file")
	if err != nil || fh.Size == 0 {
		return refuse("file", "Choose the file to import: a .xlsx or .csv spreadsheet, an XLSForm, a Form.io .json or a .bpmn file")
	}
	if fh.Size > imports.DefaultLimits.MaxBytes {
		return refuse("file", "The file "+fh.Filename+" is "+sizeText(fh.Size)+"; the largest an import may be is "+sizeText(imports.DefaultLimits.MaxBytes))
	}
	if !slices.Contains([]string{"spreadsheet", "xlsform", "formio", "bpmn"}, d.Kind) {
		return refuse("kind", "Choose what the file is: a team's spreadsheet, an XLSForm, a Form.io form or a BPMN process")
	}
	if d.Name == "" && d.Kind == "spreadsheet" {
		return refuse("name", "Enter a name for the form, like seizure-log")
	}
	content, err := readUpload(fh)
	if err != nil {
		return refuse("file", "The selected file could not be read; choose it again")
	}
	switch d.Kind {
	case "xlsform", "formio":
		var form imports.Form
		if d.Kind == "xlsform" {
			form, err = imports.XLSForm(fh.Filename, content, imports.DefaultLimits)
		} else {
			refdata := pg.Definitions.RefDataLookup(c.UserContext())
			form, err = imports.Formio(fh.Filename, content, imports.FormioOptions{Name: d.Name, Title: d.Title, RefData: refdata.Has}, imports.DefaultLimits)
			if refdata.Err != nil {
				return pg.pageError(c, refdata.Err)
			}
		}
		if err != nil {
			if strings.HasPrefix(err.Error(), "form name") {
				return refuse("name", sentence(err.Error()))
			}
			return refuse("file", err.Error())
		}
		var head struct{ Name string }
		_ = json.Unmarshal(form.Definition, &head)
		d.Name = head.Name
		return pg.showImport(c, d, fh.Filename, 0, form)
	case "bpmn":
		res, err := wfimports.BPMN(fh.Filename, content, wfimports.Options{}, wfimports.DefaultLimits)
		if err != nil {
			return refuse("file", err.Error())
		}
		return pg.showBPMNImport(c, d, fh.Filename, res)
	}
	tbl, err := imports.Read(fh.Filename, content, d.Sheet, imports.DefaultLimits)
	if err != nil {
		return refuse("file", err.Error()) // it begins with the file's name, as written
	}
	form, err := imports.InferForm(tbl, imports.FormOptions{Name: d.Name, Title: d.Title})
	if err != nil {
		return refuse("name", sentence(err.Error()))
	}
	return pg.showImport(c, d, fh.Filename, len(tbl.Rows), form)
}

// showImport shows the form an import proposes and its report.
func (pg *Pages) showImport(c *fiber.Ctx, d ui.AuthorImportData, file string, rows int, form imports.Form) error {
	d.Imported, d.File, d.Rows, d.Questions = true, file, rows, len(form.Fields)
	d.Definition, d.Check = string(form.Definition), "/author/upload/forms"
	for _, it := range form.Report {
		d.Report = append(d.Report, []any{map[string]any{"text": it.Where}, map[string]any{"text": it.Why}})
	}
	return pg.Render(c, fiber.StatusOK, "author-import", d)
}

// showBPMNImport shows the workflow a BPMN import proposes, the forms it
// needs, and its report.
func (pg *Pages) showBPMNImport(c *fiber.Ctx, d ui.AuthorImportData, file string, res wfimports.Result) error {
	d.Imported, d.File, d.Name = true, file, res.Name
	d.Definition, d.Check = string(res.Workflow), "/author/upload/workflows"
	for _, f := range res.Forms {
		d.Forms = append(d.Forms, ui.AuthorImportedForm{Name: f.Name, Definition: string(f.Definition), Stub: f.Stub})
	}
	for _, it := range res.Report {
		d.Report = append(d.Report, []any{map[string]any{"text": it.Where}, map[string]any{"text": it.Why}})
	}
	return pg.Render(c, fiber.StatusOK, "author-import", d)
}
