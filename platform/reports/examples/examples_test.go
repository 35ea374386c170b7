package examples_test

import (
	"os"
	"strings"
	"testing"

	forms "cop/forms/examples"
	"cop/platform/reports"
	"cop/platform/reports/examples"
)

// Every example report checks against the example pack's forms (the
// workflow sources' fields are their own), and the reports guide's worked
// example is the pack's file as it is.
func TestExamplesCheckAndTheGuideShowsThem(t *testing.T) {
	_, compiled, err := forms.Compile()
	if err != nil {
		t.Fatal(err)
	}
	all := examples.All()
	if len(all) != 4 {
		t.Fatalf("%d example reports, want 4", len(all))
	}
	for _, f := range all {
		r, err := reports.Parse(f.Content)
		if err != nil {
			t.Errorf("%s: %v", f.Name, err)
			continue
		}
		var cat *reports.Catalogue
		if r.Source.Kind == reports.SourceSubmissions {
			for _, form := range compiled {
				if form.Def.Name == r.Source.Form {
					cat = reports.NewCatalogue(r.Source.Kind, form)
				}
			}
		} else {
			cat = reports.NewCatalogue(r.Source.Kind, nil)
		}
		if cat == nil {
			t.Errorf("%s: its form %s is not in the example pack", f.Name, r.Source.Form)
			continue
		}
		if _, ps := reports.Check(r, cat); len(ps) > 0 {
			t.Errorf("%s: %v", f.Name, ps)
		}
	}
	guide, err := os.ReadFile("../../../docs/reports.md")
	if err != nil {
		t.Fatal(err)
	}
	block := strings.SplitN(strings.SplitN(string(guide), "```yaml\n", 2)[1], "```", 2)[0]
	for _, f := range all {
		if f.Name != "seizures-by-port-month.yaml" {
			continue
		}
		var body []string
		for _, line := range strings.SplitAfter(string(f.Content), "\n") {
			if !strings.HasPrefix(line, "#") {
				body = append(body, line)
			}
		}
		if strings.Join(body, "") != block {
			t.Errorf("the guide's worked example differs from platform/reports/examples/%s", f.Name)
		}
	}
}
