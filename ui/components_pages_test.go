package ui

// The page-level components COP renders, golden-tested with the rest by
// TestComponentsMatchGOVUKFixtures.
func init() {
	for component, tmpl := range map[string]string{
		"footer":              "govukFooter",
		"error-summary":       "govukErrorSummary",
		"summary-list":        "govukSummaryList",
		"button":              "govukButton",
		"panel":               "govukPanel",
		"notification-banner": "govukNotificationBanner",
		"pagination":          "govukPagination",
		"table":               "govukTable",
		"back-link":           "govukBackLink",
		"warning-text":        "govukWarningText",
		"inset-text":          "govukInsetText",
	} {
		entry := goldenComponents[component]
		entry.template = tmpl
		goldenComponents[component] = entry
	}
}
