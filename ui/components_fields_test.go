package ui

// The form field components COP renders, golden-tested with the rest by
// TestComponentsMatchGOVUKFixtures.
func init() {
	for component, c := range map[string]struct {
		template    string
		unsupported map[string]string
	}{
		"label":           {template: "govukLabel"},
		"hint":            {template: "govukHint"},
		"error-message":   {template: "govukErrorMessage"},
		"fieldset":        {template: "govukFieldset"},
		"input":           {template: "govukInput"},
		"textarea":        {template: "govukTextarea"},
		"character-count": {template: "govukCharacterCount"},
		"date-input":      {template: "govukDateInput"},
		"radios":          {template: "govukRadios"},
		"checkboxes":      {template: "govukCheckboxes"},
		"select":          {template: "govukSelect"},
		"file-upload":     {template: "govukFileUpload"},
	} {
		entry := goldenComponents[component]
		entry.template = c.template
		entry.unsupported = c.unsupported
		goldenComponents[component] = entry
	}
}
