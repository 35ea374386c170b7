package workflows

import (
	"strings"
	"testing"

	"cop/forms"
	"cop/forms/examples"
	wfexamples "cop/workflows/examples"
)

// arrivalReport is the example pack's arrival-report form: arrivalDate,
// port, vessel {name, …}, crew [{…}], searched, searchOutcome, notes,
// evidence.
func arrivalReport(t *testing.T) StartForm { return exampleForm(t, "arrival-report") }

func exampleForm(t *testing.T, name string) StartForm {
	t.Helper()
	_, compiled, err := examples.Compile()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range compiled {
		if f.Def.Name == name {
			return StartForm{Name: f.Def.Name, Version: f.Def.Version, Tree: f.Tree}
		}
	}
	t.Fatalf("no %s in the example pack", name)
	return StartForm{}
}

func startFormWarnings(t *testing.T, form StartForm, doc string) []string {
	t.Helper()
	w, _, err := Parse([]byte("document: {dsl: '1.0.3', namespace: t, name: t, version: '1.0.0', metadata: {startForm: arrival-report}}\n" + doc))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, doc)
	}
	var out []string
	for _, p := range StartFormWarnings(w, form) {
		out = append(out, p.Pointer+": "+p.Message)
	}
	return out
}

func TestStartFormWarnings(t *testing.T) {
	form := arrivalReport(t)
	v := form.Version
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"through $workflow", `do:
  - a:
      set:
        x: ${ $workflow.input.submission.data.arivalDate }
        y: ${ $workflow.input.submission.data.port }
`, []string{"/do/0/a/set/x: warning: $workflow.input.submission.data.arivalDate is not an answer of start form arrival-report " + v + " (did you mean arrivalDate?)"}},

		{"the workflow's input, then the submission", `do:
  - a:
      if: .submission.data.serched
      set: {x: '${ .submission.data.searched }'}
  - b:
      input: {from: .submission}
      set:
        x: ${ .data.vessel.nmae }
        y: ${ .data.vessel.name }
        z: ${ .submittedBy }
`, []string{
			"/do/0/a/if: warning: .submission.data.serched is not an answer of start form arrival-report " + v + " (did you mean searched?)",
		}},

		{"input.from narrows the workflow's input", `input: {from: .submission.data}
do:
  - check:
      if: .registraton != null
      set:
        crew: '${ [.crew[].fullName] }'
        bad: '${ [.crew[0].nickname] }'
        both: '${ { port, portt } }'
`, []string{
			"/do/0/check/if: warning: .registraton is not an answer of start form arrival-report " + v,
			"/do/0/check/set/bad: warning: .crew[0].nickname is not an answer of start form arrival-report " + v,
			"/do/0/check/set/both: warning: .portt is not an answer of start form arrival-report " + v + " (did you mean port?)",
		}},

		{"after a set the data is the set's", `input: {from: .submission}
do:
  - a: {set: {data: {other: 1}}}
  - b: {set: {x: '${ .data.other }'}}
`, nil},

		{"output.as: $input passes the submission on; a jump makes it unknown", `input: {from: .submission}
do:
  - tell:
      call: notify
      with: {to: [role:officer], title: '${ .data.porrt }'}
      output: {as: $input}
  - b:
      set: {x: '${ .data.vesel }'}
      output: {as: $input}
  - c:
      set: {x: '${ .data.vessle }'}
  - d:
      set: {x: '${ .data.nope }'}
      then: c
`, []string{
			"/do/0/tell/with/title: warning: .data.porrt is not an answer of start form arrival-report " + v + " (did you mean port?)",
			"/do/1/b/set/x: warning: .data.vesel is not an answer of start form arrival-report " + v + " (did you mean vessel?)",
		}},

		{"pipes, variables and functions", `do:
  - a:
      set:
        pipe: '${ .submission | .data.notess }'
        bound: '${ .submission.data as $d | $d.serched }'
        selected: '${ select(.submission.data.nots) | 1 }'
        mapped: '${ .submission.data.crew | map(.data.whatever) }'
        interp: '${ "at \(.submission.data.prot)" }'
        alt: '${ .submission.data.notes // .submission.data["evidense"] }'
`, []string{
			"/do/0/a/set/alt: warning: .submission.data[\"evidense\"] is not an answer of start form arrival-report " + v + " (did you mean evidence?)",
			"/do/0/a/set/bound: warning: $d.serched is not an answer of start form arrival-report " + v + " (did you mean searched?)",
			"/do/0/a/set/interp: warning: .submission.data.prot is not an answer of start form arrival-report " + v + " (did you mean port?)",
			"/do/0/a/set/pipe: warning: .data.notess is not an answer of start form arrival-report " + v + " (did you mean notes?)",
			"/do/0/a/set/selected: warning: .submission.data.nots is not an answer of start form arrival-report " + v + " (did you mean notes?)",
		}},

		{"a user task's output is not the submission", `do:
  - review:
      call: userTask
      with: {form: seizure-approval, candidateGroups: [role:supervisor], show: [/port, /vessel/nam]}
  - after:
      set: {x: '${ .data.approved }'}
`, []string{
			"/do/0/review/with/show/1: warning: /vessel/nam is not an answer of start form arrival-report " + v + " (did you mean name?)",
		}},

		{"$input, switch, for and fork", `input: {from: .submission}
do:
  - a:
      input: {from: .data}
      set:
        x: '${ $input.vesel }'
        y: '${ $workflow.input.submission.data.crew[].nationalty }'
  - b:
      switch:
        - one: {when: .notes, then: c}
  - c:
      for: {each: p, in: .crew}
      do:
        - d: {set: {x: '${ .nonsense }'}}
  - e:
      fork:
        branches:
          - f: {set: {x: '${ .anything }'}}
`, []string{
			"/do/0/a/set/x: warning: $input.vesel is not an answer of start form arrival-report " + v + " (did you mean vessel?)",
			"/do/0/a/set/y: warning: $workflow.input.submission.data.crew[].nationalty is not an answer of start form arrival-report " + v + " (did you mean nationality?)",
		}},

		{"only real answers", `do:
  - a:
      input: {from: .submission}
      set:
        port: ${ .data.port }
        name: ${ .data.vessel.name }
        crew: '${ .data.crew | length }'
        outcome: ${ .data.searchOutcome }
        who: ${ .submittedBy }
`, nil},
	}
	for _, c := range cases {
		got := startFormWarnings(t, form, c.doc)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s:\ngot  %q\nwant %q", c.name, got, c.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"registration", "port", "notes"}
	for in, want := range map[string]string{"registraton": "registration", "prot": "port", "Port": "port", "xyz": "", "registrationNumber": "", "no": ""} {
		if got := closestName(in, names); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}

// The worked example reads only answers seizure-record has; misspelling
// one is found where it is read.
func TestStartFormWarningsSeizureExample(t *testing.T) {
	form := exampleForm(t, "seizure-record")
	var src []byte
	for _, f := range wfexamples.All() {
		if f.Name == "seizure-approval.yaml" {
			src = f.Content
		}
	}
	w, _, err := Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	if got := StartFormWarnings(w, form); len(got) != 0 {
		t.Errorf("the worked example: %v", got)
	}
	w, _, err = Parse([]byte(strings.Replace(string(src), "${ .data.seizedOn }", "${ .data.seizedOnn }", 1)))
	if err != nil {
		t.Fatal(err)
	}
	got := StartFormWarnings(w, form)
	want := "/do/0/recordSeizure/set/seizedOn: warning: .data.seizedOnn is not an answer of start form seizure-record " + form.Version + " (did you mean seizedOn?)"
	if len(got) != 1 || got[0].Pointer+": "+got[0].Message != want {
		t.Errorf("misspelt: %v, want %s", got, want)
	}
}

// An object whose names are open is not judged.
func TestStartFormWarningsOpenObject(t *testing.T) {
	def, err := forms.ParseForm([]byte(`{"name": "open", "version": "1.0.0", "title": "Open",
		"schema": {"type": "object", "properties": {"a": {"type": "string"},
		  "extra": {"type": "object", "additionalProperties": {"type": "string"}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	f, err := forms.CompileForm(def, forms.NewLibrary())
	if err != nil {
		t.Fatal(err)
	}
	form := StartForm{Name: "open", Version: "1.0.0", Tree: f.Tree}
	got := startFormWarnings(t, form, "do:\n  - a: {set: {x: '${ .submission.data.extra.anything }', y: '${ .submission.data.b }'}}\n")
	want := []string{"/do/0/a/set/y: warning: .submission.data.b is not an answer of start form open 1.0.0"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}
