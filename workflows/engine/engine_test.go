package engine

import (
	"testing"

	"go.temporal.io/sdk/testsuite"
)

func TestPingRunsItsActivity(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	Register(env)
	env.ExecuteWorkflow(PingWorkflow, "hello")
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed=%v err=%v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var out string
	if err := env.GetWorkflowResult(&out); err != nil || out != "pong: hello" {
		t.Fatalf("result %q %v", out, err)
	}
}

func TestLocalResolverPicksTheHighestVersion(t *testing.T) {
	r := NewLocalResolver()
	for _, v := range []string{"1.10.0", "1.9.0", "1.10.0-rc.1"} {
		if err := r.AddForm([]byte(`{"name": "f", "version": "` + v + `", "title": "F", "schema": {"type": "object"}}`)); err != nil {
			t.Fatal(err)
		}
	}
	if pf, err := r.Form("f", ""); err != nil || pf.Version != "1.10.0" {
		t.Fatalf("latest local form %q (%v), want 1.10.0", pf.Version, err)
	}
}
