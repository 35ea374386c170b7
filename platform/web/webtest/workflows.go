package webtest

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// ApprovalForm is what a supervisor fills in to approve a seizure.
const ApprovalForm = `{"name": "seizure-approval", "version": "1.0.0", "title": "Approve a seizure",
	"schema": {"type": "object", "additionalProperties": false, "required": ["approved"],
		"properties": {"approved": {"type": "boolean", "title": "Approve the seizure"},
			"comments": {"type": "string", "title": "Comments", "maxLength": 500}}}}`

// ApprovalWorkflow waits for a supervisor's approval, then for a
// "cop.test.closed" event, and outputs both.
func ApprovalWorkflow(version, outcome string) string {
	return `document: {dsl: '1.0.0', namespace: border-force, name: seizure-approval, version: '` + version + `', title: Seizure approval,
  metadata: {casePrefix: SEIZ, access: {read: [role:supervisor]}}}
do:
  - approve:
      call: userTask
      with:
        form: seizure-approval
        title: Approve seizure
        candidateGroups: [role:supervisor]
        priority: 2
        reason: Goods held at the border
        due: PT4H
      export: {as: '{approval: .data}'}
  - closed:
      listen: {to: {one: {with: {type: cop.test.closed}}}}
  - result:
      set:
        outcome: ` + outcome + `
        approved: ${ $context.approval.approved }
`
}

// InstanceBody is a workflow instance as the API answers it.
type InstanceBody struct {
	ID          string
	Workflow    struct{ Namespace, Name, Version string }
	Draft       bool
	BusinessKey string
	Status      string
	Output      map[string]any
	Error       *struct {
		Type   string
		Status int
		Detail string
	}
	Trace     []struct{ Name, Position, Status string }
	StartedBy string
}

// TaskBody is a task as the API answers it.
type TaskBody struct {
	ID, Instance, Form, FormVersion, Title, Reason, ClaimedBy, Status, CompletedBy, BusinessKey string
	Priority                                                                                    int
	Overdue                                                                                     bool
	Data                                                                                        map[string]any
}

// PublishYAML uploads a workflow as YAML.
func (e *Env) PublishYAML(token, yaml string) (*http.Response, string) {
	e.T.Helper()
	return e.Do(nil, "POST", "/api/v1/workflows", token, strings.NewReader(yaml), "Content-Type", "application/yaml")
}

// WaitInstance polls an instance until cond holds.
func (e *Env) WaitInstance(token, id string, cond func(InstanceBody) bool) InstanceBody {
	e.T.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var in InstanceBody
		e.Must(200, "GET", "/api/v1/instances/"+id, token, nil, &in)
		if cond(in) {
			return in
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("instance %s never reached the expected state; last %+v", id, in)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitTask polls the caller's task list until a task of the instance is there.
func (e *Env) WaitTask(token, instance string) TaskBody {
	e.T.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var list struct{ Items []TaskBody }
		e.Must(200, "GET", "/api/v1/tasks", token, nil, &list)
		for _, t := range list.Items {
			if t.Instance == instance {
				return t
			}
		}
		if time.Now().After(deadline) {
			e.T.Fatalf("no task of %s in the list: %+v", instance, list.Items)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Event is a CloudEvent of type typ with a fresh id, as JSON.
func Event(typ string) string {
	return fmt.Sprintf(`{"specversion": "1.0", "id": "ev-%d", "source": "/tests", "type": %q, "data": {"ok": true}}`, time.Now().UnixNano(), typ)
}

// ReviewForm is a supervisor's review of an arrival report: accept it, or
// return it to the officer to correct, saying why.
const ReviewForm = `{"name": "arrival-review", "version": "1.0.0", "title": "Review an arrival report",
	"schema": {"type": "object", "additionalProperties": false, "required": ["outcome"],
		"properties": {
			"outcome": {"title": "Your decision", "oneOf": [{"const": "accept", "title": "Accept the report"},
				{"const": "return", "title": "Return it to the officer to correct"}]},
			"reason": {"type": "string", "title": "What needs correcting", "maxLength": 500}}}}`

// ReturnWorkflow starts on an arrival report: a supervisor reviews it and
// either accepts it or returns it to its submitter to correct
// (amend: submission), then reviews the correction, as often as needed.
// Its output is the outcome and the port of the answers it ended with.
const ReturnWorkflow = `document: {dsl: '1.0.0', namespace: border-force, name: arrival-review, version: '1.0.0', title: Arrival review,
  metadata: {startForm: arrival-report}}
do:
  - review:
      call: userTask
      with:
        form: arrival-review
        title: Review the arrival report
        candidateGroups: [role:supervisor]
        show: submission
      export: {as: '${ $context + {decision: .data} }'}
  - decide:
      switch:
        - accepted: {when: '${ $context.decision.outcome == "accept" }', then: accepted}
        - returned: {then: correct}
  - correct:
      call: userTask
      with:
        amend: submission
        title: Correct your arrival report
        reason: ${ $context.decision.reason }
      export: {as: '${ $context + {port: .data.port, corrected: .submission} }'}
      then: review
  - accepted:
      set:
        outcome: accepted
        port: ${ $context.port // $workflow.input.submission.data.port }
        corrected: ${ $context.corrected }
`
