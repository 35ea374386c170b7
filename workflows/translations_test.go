package workflows

import (
	"errors"
	"strings"
	"testing"
)

const translatedWorkflow = `document:
  dsl: '1.0.0'
  namespace: border
  name: seizure-review
  version: '1.0.0'
  metadata:
    translations:
      cy:
        /do/0/review/with/title: '${ "Adolygu atafaeliad: \(.goods)" }'
        /do/1/tell/with/title: Atafaeliad wedi'i adolygu
        /do/1/tell/with/body: Mae'r atafaeliad wedi'i adolygu.
do:
  - review:
      call: userTask
      with:
        form: seizure-review
        title: '${ "Review seizure: \(.goods)" }'
        candidateGroups: [role:supervisor]
  - tell:
      call: notify
      with:
        to: [role:officer]
        title: Seizure reviewed
        body: The seizure has been reviewed.
`

func TestTranslationsNameTasksAndNotifications(t *testing.T) {
	w, _, err := Parse([]byte(translatedWorkflow))
	if err != nil {
		t.Fatalf("a workflow with Welsh titles was refused: %v", err)
	}
	cy := w.Translations()["cy"]
	if cy["/do/1/tell/with/body"] != "Mae'r atafaeliad wedi'i adolygu." || len(cy) != 3 {
		t.Errorf("translations read: %v", cy)
	}
}

func TestTranslationsNamingNoTextAreRefused(t *testing.T) {
	for name, c := range map[string]struct{ from, to, at string }{
		"a form name": {"/do/1/tell/with/body: Mae'r atafaeliad wedi'i adolygu.", "/do/0/review/with/form: ffurflen",
			"/document/metadata/translations/cy/~1do~10~1review~1with~1form"},
		"nothing at all": {"/do/1/tell/with/body: Mae'r atafaeliad wedi'i adolygu.", "/do/9/x/with/title: Dim",
			"/document/metadata/translations/cy/~1do~19~1x~1with~1title"},
		"a language COP does not speak": {"      cy:\n", "      fr:\n", "/document/metadata/translations/fr"},
		"a bad expression": {`'${ "Adolygu atafaeliad: \(.goods)" }'`, `'${ .goods | }'`,
			"/document/metadata/translations/cy/~1do~10~1review~1with~1title"},
	} {
		_, _, err := Parse([]byte(strings.Replace(translatedWorkflow, c.from, c.to, 1)))
		var p Problems
		if !errors.As(err, &p) {
			t.Errorf("%s: want problems, got %v", name, err)
			continue
		}
		found := false
		for _, x := range p {
			found = found || x.Pointer == c.at
		}
		if !found {
			t.Errorf("%s: no problem at %s in %v", name, c.at, p)
		}
	}
}
