package imports

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"
)

// XLSForm reads an XLSForm workbook (the survey, choices and settings
// sheets of the open standard, https://xlsform.org) into a form
// definition. What it translates: the question types text, integer,
// decimal, date, select_one, select_multiple and note; begin/end group (a
// page) and begin/end repeat (add another); required, hint, constraint
// and relevant where they are simple (a comparison, a range, a regex, a
// length; relevant as one answer of a choice); label::Welsh (cy) and
// hint::Welsh (cy). Everything else is in the report, by sheet and cell.
func XLSForm(name string, content []byte, lim Limits) (Form, error) {
	if int64(len(content)) > lim.MaxBytes {
		return Form{}, fmt.Errorf("%s is %d bytes; an import takes at most %d (the file size limit)", name, len(content), lim.MaxBytes)
	}
	f, err := excelize.OpenReader(bytes.NewReader(content), excelize.Options{UnzipSizeLimit: lim.MaxUnzipped, UnzipXMLSizeLimit: min(lim.MaxUnzipped, 16<<20)})
	if err != nil {
		if strings.HasPrefix(err.Error(), "unzip size exceeds") {
			return Form{}, fmt.Errorf("%s unzips to more than %d bytes; an import takes at most that (the unzipped size limit)", name, lim.MaxUnzipped)
		}
		return Form{}, fmt.Errorf("%s is not an .xlsx workbook (an XLSForm is one): %v", name, err)
	}
	defer f.Close()
	survey, err := xlsSheet(f, name, "survey", true, lim)
	if err != nil {
		return Form{}, err
	}
	choices, err := xlsSheet(f, name, "choices", false, lim)
	if err != nil {
		return Form{}, err
	}
	settings, err := xlsSheet(f, name, "settings", false, lim)
	if err != nil {
		return Form{}, err
	}
	x := &xlsform{file: name, survey: survey, lists: map[string][]xlsChoice{}, welsh: object{}}
	x.readChoices(choices)
	return x.build(settings)
}

// xlsTable is one sheet by its lower-cased headers.
type xlsTable struct {
	Table
	col map[string]int
}

func (t xlsTable) get(row []string, header string) string {
	if i, ok := t.col[header]; ok && i < len(row) {
		return strings.TrimSpace(row[i])
	}
	return ""
}

func xlsSheet(f *excelize.File, file, sheet string, required bool, lim Limits) (xlsTable, error) {
	var name string
	for _, s := range f.GetSheetList() {
		if strings.EqualFold(s, sheet) {
			name = s
		}
	}
	if name == "" {
		if required {
			return xlsTable{}, fmt.Errorf("%s has no %s sheet: an XLSForm lists its questions on a sheet called %q (its sheets are %s)",
				file, sheet, sheet, strings.Join(f.GetSheetList(), ", "))
		}
		return xlsTable{}, nil
	}
	rows, err := f.Rows(name)
	if err != nil {
		return xlsTable{}, fmt.Errorf("read %s sheet %s: %w", file, name, err)
	}
	defer rows.Close()
	t := xlsTable{Table: Table{File: file, Sheet: name, HeaderRow: 1}, col: map[string]int{}}
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns()
		if err != nil {
			return xlsTable{}, fmt.Errorf("read %s!%d: %w", name, n, err)
		}
		if len(cells) > lim.MaxColumns {
			return xlsTable{}, fmt.Errorf("%s sheet %s row %d has %d columns; an import takes at most %d (the column limit)", file, name, n, len(cells), lim.MaxColumns)
		}
		if t.Header == nil {
			t.Header = cells
			for i, h := range cells {
				t.col[strings.ToLower(strings.TrimSpace(h))] = i
			}
			continue
		}
		if blankRow(cells) {
			continue
		}
		row := make([]string, len(t.Header))
		copy(row, cells)
		if err := t.add(row, n, lim); err != nil {
			return xlsTable{}, err
		}
	}
	if err := rows.Error(); err != nil {
		return xlsTable{}, fmt.Errorf("read %s sheet %s: %w", file, name, err)
	}
	return t, nil
}

type xlsChoice struct{ name, label, welsh string }

// xlsform is the translation under way.
type xlsform struct {
	file      string
	survey    xlsTable
	lists     map[string][]xlsChoice
	report    []Item
	welsh     object   // ui.translations.cy
	formNotes []string // notes outside any page: the form's description
}

const welshLabel, welshHint = "label::welsh (cy)", "hint::welsh (cy)"

func (x *xlsform) note(t Table, col, row int, why string) {
	x.report = append(x.report, Item{t.Cell(col, row), why})
}

func (x *xlsform) readChoices(c xlsTable) {
	for i, r := range c.Rows {
		list, name := c.get(r, "list_name"), c.get(r, "name")
		if list == "" && name == "" {
			continue
		}
		if list == "" || name == "" {
			x.note(c.Table, 0, c.RowNumber(i), "a choice needs a list_name and a name; this row is left out")
			continue
		}
		x.lists[list] = append(x.lists[list], xlsChoice{name: name, label: cmpOr(c.get(r, "label"), name), welsh: c.get(r, welshLabel)})
	}
}

// container is the object questions are being added to: the form, or a
// repeat's entry.
type container struct {
	props    object
	required []string
	allOf    []object
	ptr      string // "" for the form; "/crew" for a repeat
	revealed map[string]bool
	name     string
	label    string
	hint     string
	startRow int
}

// page is a top-level group being read.
type page struct {
	id, title, description string
	fields                 []string
}

var handledColumns = []string{"type", "name", "label", "hint", "required", "required_message", "constraint", "constraint_message", "relevant", welshLabel, welshHint}

func (x *xlsform) build(settings xlsTable) (Form, error) {
	s := x.survey
	for i, header := range s.Header {
		if h := strings.ToLower(strings.TrimSpace(header)); !slices.Contains(handledColumns, h) {
			for r, row := range s.Rows {
				if i < len(row) && strings.TrimSpace(row[i]) != "" {
					x.note(s.Table, i, s.RowNumber(r), fmt.Sprintf("column %q is not translated (COP's forms have no equivalent)", s.Header[i]))
				}
			}
		}
	}
	root := &container{props: object{}}
	stack := []*container{root}
	var pages []page
	var inPage *page
	groupDepth := 0
	var fields []Field
	ui := object{}
	uiFields := object{}
	for i, row := range s.Rows {
		rowNo := s.RowNumber(i)
		typ, name, label := s.get(row, "type"), s.get(row, "name"), s.get(row, "label")
		if typ == "" && name == "" {
			continue
		}
		typeCol := s.col["type"]
		cur := stack[len(stack)-1]
		kind, list, _ := strings.Cut(strings.Join(strings.Fields(typ), " "), " ")
		// "begin group", "begin_group", "begin  repeat": the same.
		structure := strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(typ, "_", " "))), " ")
		switch structure {
		case "begin repeat":
			stack = append(stack, &container{props: object{}, ptr: cur.ptr + "/" + name, name: name, label: cmpOr(label, name), hint: s.get(row, "hint"), startRow: rowNo})
			continue
		case "begin group":
			groupDepth++
			if groupDepth == 1 && len(stack) == 1 {
				pages = append(pages, page{id: cmpOr(name, fmt.Sprintf("page-%d", len(pages)+1)), title: cmpOr(label, words(name))})
				inPage = &pages[len(pages)-1]
			} else {
				x.note(s.Table, typeCol, rowNo, fmt.Sprintf("group %q is inside another group or a repeat: its questions are asked with the outer ones", name))
			}
			continue
		case "end repeat":
			if len(stack) == 1 {
				x.note(s.Table, typeCol, rowNo, "end repeat without a begin repeat")
				continue
			}
			rep := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			parent := stack[len(stack)-1]
			items := object{{"type", "object"}, {"properties", rep.props}}
			if len(rep.required) > 0 {
				items = append(items, member{"required", rep.required})
			}
			if len(rep.allOf) > 0 {
				items = append(items, member{"allOf", rep.allOf})
			}
			parent.props = append(parent.props, member{rep.name, object{{"type", "array"}, {"title", rep.label}, {"items", items}}})
			repHints := object{{"itemLabel", rep.label}}
			if rep.hint != "" {
				repHints = append(repHints, member{"hint", rep.hint})
			}
			uiFields = append(uiFields, member{rep.ptr, repHints})
			if len(stack) == 1 && inPage != nil {
				inPage.fields = append(inPage.fields, rep.name)
			}
			continue
		case "end group":
			if groupDepth == 0 {
				x.note(s.Table, typeCol, rowNo, "end group without a begin group")
				continue
			}
			groupDepth--
			if groupDepth == 0 && len(stack) == 1 {
				inPage = nil
			}
			continue
		}
		if name == "" {
			x.note(s.Table, typeCol, rowNo, fmt.Sprintf("a %s question needs a name; it is left out", typ))
			continue
		}
		schema, ok := x.questionSchema(strings.ToLower(kind), list, label, name, rowNo)
		if !ok {
			continue
		}
		field := Field{Header: label, Property: name, Kind: strings.ToLower(kind)}
		ptr := cur.ptr + "/" + name
		if strings.ToLower(kind) == "note" {
			// A note asks nothing: its text goes to the page, or the form.
			if inPage != nil && len(stack) == 1 {
				x.note(s.Table, typeCol, rowNo, fmt.Sprintf("note %q is not a question: its text is the page's description", name))
				p := &pages[len(pages)-1]
				p.description = strings.TrimSpace(p.description + " " + label)
			} else {
				x.note(s.Table, typeCol, rowNo, fmt.Sprintf("note %q is not a question: its text is left for the form's description", name))
				x.formNotes = append(x.formNotes, label)
			}
			continue
		}
		if hint := s.get(row, "hint"); hint != "" {
			uiFields = append(uiFields, member{ptr, object{{"hint", hint}}})
		}
		schema = x.constraint(schema, s.get(row, "constraint"), s.get(row, "constraint_message"), s.col["constraint"], rowNo)
		if isYes(s.get(row, "required")) {
			cur.required = append(cur.required, name)
			field.Required = true
			if msg := s.get(row, "required_message"); msg != "" {
				schema = withMessage(schema, "required", msg)
			}
		} else if v := s.get(row, "required"); v != "" && !isNo(v) {
			x.note(s.Table, s.col["required"], rowNo, fmt.Sprintf("required %q is not yes or no (a condition is not translated): the question is optional", v))
		}
		if rel := s.get(row, "relevant"); rel != "" {
			x.relevant(cur, name, field.Required, rel, s.col["relevant"], rowNo)
		}
		cur.props = append(cur.props, member{name, schema})
		cy := object{}
		if l := s.get(row, welshLabel); l != "" {
			cy = append(cy, member{"label", l})
		}
		if h := s.get(row, welshHint); h != "" {
			cy = append(cy, member{"hint", h})
		}
		if len(cy) > 0 {
			x.welsh = append(x.welsh, member{ptr, cy})
		}
		if len(stack) == 1 && inPage != nil {
			inPage.fields = append(inPage.fields, name)
		}
		fields = append(fields, field)
	}
	if len(stack) > 1 {
		rep := stack[len(stack)-1]
		return Form{}, fmt.Errorf("%s!A%d: repeat %q has no end repeat", s.Sheet, rep.startRow, rep.name)
	}
	title, formName, version := "", "", "1.0.0"
	if len(settings.Rows) > 0 {
		r := settings.Rows[0]
		title, formName = settings.get(r, "form_title"), settings.get(r, "form_id")
		if v := settings.get(r, "version"); v != "" {
			if semverRE.MatchString(v) {
				version = v
			} else {
				x.note(settings.Table, settings.col["version"], settings.RowNumber(0), fmt.Sprintf("version %q is not MAJOR.MINOR.PATCH; the form is version 1.0.0", v))
			}
		}
	}
	formName = strings.ToLower(strings.ReplaceAll(formName, "_", "-"))
	if !formNameRE.MatchString(formName) {
		x.report = append(x.report, Item{x.file, fmt.Sprintf("settings form_id %q is not a form name; the form is called %q: rename it before publishing", formName, "imported-form")})
		formName = "imported-form"
	}
	title = cmpOr(title, words(formName))
	schema := object{{"$schema", "https://json-schema.org/draft/2020-12/schema"}, {"type", "object"}, {"additionalProperties", false},
		{"required", nonNilStrings(root.required)}, {"properties", root.props}}
	if len(root.allOf) > 0 {
		schema = append(schema, member{"allOf", root.allOf})
	}
	if len(pages) > 0 {
		var ps []object
		var loose []string
		inPages := map[string]bool{}
		for _, p := range pages {
			for _, f := range p.fields {
				inPages[f] = true
			}
		}
		for _, m := range root.props {
			if !inPages[m.key] && !root.revealed[m.key] {
				loose = append(loose, m.key)
			}
		}
		if len(loose) > 0 {
			pages = append([]page{{id: "questions", title: title, fields: loose}}, pages...)
		}
		for _, p := range pages {
			p.fields = slices.DeleteFunc(p.fields, func(f string) bool { return root.revealed[f] })
			if len(p.fields) == 0 {
				continue
			}
			po := object{{"id", p.id}, {"title", p.title}}
			if p.description != "" {
				po = append(po, member{"description", p.description})
			}
			ps = append(ps, append(po, member{"fields", p.fields}))
		}
		ui = append(ui, member{"pages", ps})
	}
	if len(uiFields) > 0 {
		ui = append(ui, member{"fields", uiFields})
	}
	if len(x.welsh) > 0 {
		ui = append(ui, member{"translations", object{{"cy", x.welsh}}})
	}
	def := object{{"name", formName}, {"version", version}, {"title", title}}
	desc := "Imported from the XLSForm " + x.file + "."
	if len(x.formNotes) > 0 {
		desc = strings.Join(x.formNotes, " ")
	}
	def = append(def, member{"description", desc}, member{"schema", schema})
	if len(ui) > 0 {
		def = append(def, member{"ui", ui})
	}
	b, err := jsonIndent(def)
	if err != nil {
		return Form{}, err
	}
	return Form{Definition: b, Fields: fields, Report: x.report}, nil
}

var semverRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)

// questionSchema is the schema of one question type.
func (x *xlsform) questionSchema(kind, list, label, name string, row int) (object, bool) {
	s := x.survey
	title := member{"title", cmpOr(label, words(name))}
	switch kind {
	case "text":
		return object{{"type", "string"}, {"maxLength", 2000}, title}, true
	case "integer":
		return object{{"type", "integer"}, title}, true
	case "decimal":
		return object{{"type", "number"}, title}, true
	case "date":
		return object{{"type", "string"}, {"format", "date"}, title}, true
	case "note":
		return object{title}, true
	case "select_one", "select_multiple":
		choices, ok := x.lists[strings.TrimSpace(list)]
		if !ok {
			x.note(s.Table, s.col["type"], row, fmt.Sprintf("%s names choice list %q, which the choices sheet does not have; the question is left out", kind, list))
			return nil, false
		}
		opts := make([]object, len(choices))
		welsh := 0
		for i, c := range choices {
			opts[i] = object{{"const", c.name}, {"title", c.label}}
			if c.welsh != "" {
				welsh++
			}
		}
		if welsh > 0 {
			x.note(s.Table, s.col["type"], row, fmt.Sprintf("the Welsh labels of list %q's choices are not kept: a form's Welsh text is kept by question", list))
		}
		if kind == "select_one" {
			return object{{"type", "string"}, {"oneOf", opts}, title}, true
		}
		return object{{"type", "array"}, {"uniqueItems", true}, {"items", object{{"oneOf", opts}}}, title}, true
	}
	x.note(s.Table, s.col["type"], row, fmt.Sprintf("question type %q is not translated (COP has text, integer, decimal, date, select_one, select_multiple and note); %q is left out", kind, name))
	return nil, false
}
