// Package engine is the Temporal side of COP's workflows: what the worker
// registers. The DSL interpreter (one dynamic workflow) arrives with the
// workflow engine issue; today the worker carries the self-check below.
package engine

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// PingWorkflow is the name of the self-check workflow: it runs one activity
// on the same task queue, so completing it proves a worker is polling and
// can run both workflow and activity tasks.
const PingWorkflow = "cop.ping"

// Register adds COP's workflows and activities to a worker.
func Register(r worker.Registry) {
	r.RegisterWorkflowWithOptions(Ping, workflow.RegisterOptions{Name: PingWorkflow})
	r.RegisterActivityWithOptions(PingActivity, activity.RegisterOptions{Name: PingWorkflow})
}

// Ping echoes its input through an activity.
func Ping(ctx workflow.Context, message string) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
	var out string
	err := workflow.ExecuteActivity(ctx, PingWorkflow, message).Get(ctx, &out)
	return out, err
}

// PingActivity answers "pong: <message>".
func PingActivity(_ context.Context, message string) (string, error) {
	return "pong: " + message, nil
}
