package cases

import (
	"strings"
	"testing"
	"unicode/utf8"

	"cop/forms"
	"cop/forms/lang"
)

// FuzzUpload: whatever name and bytes a multipart upload carries, the
// stored name is valid UTF-8 that PostgreSQL takes, at most 200 bytes, with
// no path in it, and the file check answers without panicking.
func FuzzUpload(f *testing.F) {
	f.Add("../../evidence <1>.pdf", []byte("%PDF-1.4\n"), "application/pdf")
	f.Add(strings.Repeat("Протокол изъятия ", 12)+".pdf", []byte("MZ\x90\x00"), "application/pdf")
	f.Add("\xff\xfe.png", []byte("\x89PNG\r\n\x1a\n"), "image/png")
	f.Add(strings.Repeat("😀", 60)+".verylongextension", []byte{}, "")
	f.Fuzz(func(t *testing.T, name string, content []byte, contentType string) {
		got := cleanFilename(name)
		switch {
		case !utf8.ValidString(got):
			t.Fatalf("%q is not valid UTF-8", got)
		case len(got) > maxFilenameBytes:
			t.Fatalf("%q is %d bytes", got, len(got))
		case got == "" || got == "." || got == "..", strings.ContainsAny(got, "/\\\x00"):
			t.Fatalf("%q is not a file name", got)
		}
		for _, rule := range []forms.FileRule{{MaxBytes: 1 << 20}, {MediaType: "application/pdf", MaxBytes: 16}, {MediaType: "image/*", MaxBytes: 1 << 20}} {
			ct, problem := checkFile(rule, UploadRequest{Filename: name, ContentType: contentType, Content: content}, lang.For(lang.English))
			if problem == "" && ct == "" {
				t.Fatalf("accepted with no content type: %+v", rule)
			}
		}
	})
}
