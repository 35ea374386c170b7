package examples_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"cop/forms"
	"cop/forms/examples"
)

// library compiles the example pack as the registry would, in order.
func library(t *testing.T) (*forms.Library, []*forms.Form) {
	t.Helper()
	lib, compiled, err := examples.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return lib, compiled
}

func TestTheExamplePackCompiles(t *testing.T) {
	lib, compiled := library(t)
	countries, err := lib.RefData(forms.Reference{Kind: "refdata", Name: "countries"})
	if err != nil || len(countries.Items) != 249 {
		t.Fatalf("countries: %d items, %v", len(countries.Items), err)
	}
	if gb, ok := countries.Item("GB"); !ok || gb.Label != "United Kingdom" || gb.Attributes["alpha3"] != "GBR" {
		t.Errorf("GB is %+v", gb)
	}
	var names []string
	for _, f := range compiled {
		names = append(names, f.Def.Name)
	}
	if strings.Join(names, ",") != "arrival-report,seizure-approval,seizure-record" {
		t.Fatalf("forms: %v", names)
	}
}

func TestTheArrivalReportExample(t *testing.T) {
	_, compiled := library(t)
	f := compiled[0]
	var data any
	_ = json.Unmarshal([]byte(`{"arrivalDate": "2026-11-20", "port": "GBDVR", "vessel": {"name": "Sea Breeze", "flag": "PA"},
		"crew": [{"fullName": "Ann Example", "dateOfBirth": "1990-03-27", "nationality": "FR"}], "searched": true}`), &data)
	errs := f.Validate(data, time.Now())
	if len(errs) != 1 || errs[0].Pointer != "/searchOutcome" || errs[0].Message != "Select outcome of the search" {
		t.Errorf("searched without an outcome: %+v", errs)
	}
	var wrong any
	_ = json.Unmarshal([]byte(`{"port": "GBXXX", "vessel": {"name": "Sea Breeze"}, "searched": false}`), &wrong)
	got := f.Validate(wrong, time.Now())
	if len(got) != 2 || got[0] != (forms.FieldError{Pointer: "/arrivalDate", Message: "Enter a date of arrival"}) ||
		got[1] != (forms.FieldError{Pointer: "/port", Message: "Port of arrival must be one of the listed ports"}) {
		t.Errorf("the author's own words: %+v", got)
	}
	pages := f.Pages(data, errs)
	var titles []string
	for _, p := range pages {
		titles = append(titles, p.Title)
	}
	if strings.Join(titles, ",") != "Arrival,People on board,Search" {
		t.Errorf("pages %v", titles)
	}
	search := pages[2].Fields[0]
	if search.Kind != "yesno" || len(search.Options) != 2 || len(search.Options[0].Reveals) != 1 || search.Options[0].Reveals[0].Kind != "radios" {
		t.Errorf("the search question should reveal the outcome radios on yes: %+v", search)
	}
}
