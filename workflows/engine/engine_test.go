package engine

import (
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
)

// testEnv is the SDK's test environment with a deadlock detector that a
// busy CI machine (other packages' tests, a browser) cannot trip: the
// default second is measured in wall time, and a workflow task that waits
// for the CPU is not a deadlock.
func testEnv() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetWorkerOptions(worker.Options{DeadlockDetectionTimeout: 30 * time.Second})
	return env
}

func TestPingRunsItsActivity(t *testing.T) {
	env := testEnv()
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
