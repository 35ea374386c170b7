// Package workflows is COP's Serverless Workflow 1.0 DSL, in pure Go: the
// typed document model, parsing (YAML or JSON), validation against the
// specification's schema and COP's rules (the supported subset, flow
// targets, expressions), runtime expressions in jq and the DSL's error
// objects. The Temporal interpreter lives in workflows/engine.
package workflows
