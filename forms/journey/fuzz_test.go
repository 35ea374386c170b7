package journey

import (
	"net/url"
	"testing"
	"time"

	"cop/forms/examples"
)

// FuzzPagePost: whatever a browser (or a script) posts to a form's pages,
// reading the answers never panics, every problem names its field, and the
// answers read are ones the form's own check can judge.
func FuzzPagePost(f *testing.F) {
	_, compiled, err := examples.Compile()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("/arrivalDate-day=31&/arrivalDate-month=2&/arrivalDate-year=2026&/port=GBDVR")
	f.Add("/traveller/fullName=%00&/searched=maybe&/crew/0/name=x")
	f.Add("/amount=1e999&/count=-0&/when-day=x")
	f.Fuzz(func(t *testing.T, query string) {
		post, err := url.ParseQuery(query)
		if err != nil {
			return
		}
		for _, form := range compiled {
			data := map[string]any{}
			for _, page := range form.Pages(data, nil) {
				problems, _ := ReadAnswers(page.Fields, Posted(post), data)
				for _, p := range problems {
					if p.Pointer == "" || p.Message == "" {
						t.Fatalf("form %s: a problem without a field or a message: %+v", form.Def.Name, p)
					}
				}
			}
			form.Validate(data, time.Now())
		}
	})
}

// FuzzSetAt: no pointer makes SetAt panic, and a value set at a plain
// object path reads back.
func FuzzSetAt(f *testing.F) {
	for _, p := range []string{"/a", "/a/0/b", "/a/~1b/~0c", "/list/5", "/", "", "a", "/x/-1", "/x/99999999999"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, pointer string) {
		data := map[string]any{"list": []any{}, "x": []any{"keep"}}
		SetAt(data, pointer, "v")
		SetAt(data, pointer, nil)
	})
}
