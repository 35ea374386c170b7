package imports_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"os"
	"testing"

	"cop/workflows/imports"
)

// BenchmarkImportBPMN imports Camunda's invoice example, beside the
// baseline of reading its XML tokens alone.
func BenchmarkImportBPMN(b *testing.B) {
	content, err := os.ReadFile("testdata/public/invoice.v2.bpmn")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("baseline=xml-tokens", func(b *testing.B) {
		for b.Loop() {
			d := xml.NewDecoder(bytes.NewReader(content))
			for {
				if _, err := d.Token(); err == io.EOF {
					break
				} else if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("cop=import-bpmn", func(b *testing.B) {
		for b.Loop() {
			if _, err := imports.BPMN("invoice.bpmn", content, imports.Options{}, imports.DefaultLimits); err != nil {
				b.Fatal(err)
			}
		}
	})
}
