package imports_test

import (
	"encoding/json"
	"os"
	"testing"

	"cop/forms/imports"
)

// BenchmarkImportFormio imports COP's first generation's largest sample
// wizard, beside the baseline of decoding its JSON alone.
func BenchmarkImportFormio(b *testing.B) {
	content, err := os.ReadFile("testdata/formio/cop-detection-equipment.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=json-decode", func(b *testing.B) {
		for b.Loop() {
			var v any
			if err := json.Unmarshal(content, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("cop=import-formio", func(b *testing.B) {
		for b.Loop() {
			if _, err := imports.Formio("d.json", content, imports.FormioOptions{}, imports.DefaultLimits); err != nil {
				b.Fatal(err)
			}
		}
	})
}
