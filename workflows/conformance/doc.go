// Package conformance runs the Serverless Workflow conformance kit (the
// specification's own Gherkin scenarios, copied into features/kit) and
// COP's further scenarios (features/cop) against the interpreter on a real
// Temporal server, with godog. Outbound calls go to a local stub.
package conformance
