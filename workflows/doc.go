// Package workflows will hold the Serverless Workflow 1.0 DSL model and its
// static validation (pure Go, no Temporal), see the workflow engine issue.
// The Temporal side lives in workflows/engine.
package workflows
