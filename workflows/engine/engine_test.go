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
