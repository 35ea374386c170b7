package devstack

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/common/config"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/persistence/sql/sqlplugin/postgresql"
	"go.temporal.io/server/tools/common/schema"
	sqltool "go.temporal.io/server/tools/sql"
	"google.golang.org/protobuf/types/known/durationpb"
)

// PostgresShards is how many history shards a server on PostgreSQL has by
// default: more than one, as in production, so shard ownership moves
// between hosts the way it does there.
const PostgresShards = 4

// NamespaceRetention is how long a closed instance's history is kept in a
// namespace this package registers.
const NamespaceRetention = 72 * time.Hour

// startOnPostgres starts a server that keeps history in PostgreSQL: its
// two databases set up with Temporal's own schema tooling, its namespace
// registered through its own frontend.
func startOnPostgres(opt TemporalOptions, frontend int) (*Temporal, error) {
	main, visibility, err := postgresStores(opt.Postgres)
	if err != nil {
		return nil, err
	}
	logger := tlog.NewNoopLogger()
	for _, db := range []struct {
		cfg    *config.SQL
		schema string
	}{{&main, "postgresql/v12/temporal"}, {&visibility, "postgresql/v12/visibility"}} {
		if err := setupSchema(*db.cfg, db.schema, logger); err != nil {
			return nil, err
		}
	}
	cfg, err := serverConfig(main, visibility, frontend, opt.PortsFile)
	if err != nil {
		return nil, err
	}
	cfg.Persistence.NumHistoryShards = int32(opt.Shards)
	if opt.Shards <= 0 {
		cfg.Persistence.NumHistoryShards = PostgresShards
	}
	t, err := startServer(cfg, opt)
	if err != nil {
		return nil, err
	}
	ns := opt.Namespace
	if ns == "" {
		ns = "default"
	}
	if err := registerNamespace(t.HostPort, ns); err != nil {
		_ = t.Stop()
		return nil, err
	}
	return t, nil
}

// postgresStores reads a postgres:// URL into the main and visibility
// stores' settings: the URL's database, and the same name with
// _visibility.
func postgresStores(raw string) (main, visibility config.SQL, err error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return main, visibility, fmt.Errorf("the PostgreSQL URL for Temporal must look like postgres://user:password@host:5432/temporal, got %q", redactURL(raw))
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" {
		name = "temporal"
	}
	password, _ := u.User.Password()
	attrs := map[string]string{}
	for k, v := range u.Query() {
		attrs[k] = v[0]
	}
	main = config.SQL{
		PluginName: postgresql.PluginNamePGX, DatabaseName: name, ConnectAddr: u.Host, ConnectProtocol: "tcp",
		User: u.User.Username(), Password: password, ConnectAttributes: attrs,
		MaxConns: 20, MaxIdleConns: 20, MaxConnLifetime: time.Hour,
	}
	visibility = main
	visibility.DatabaseName = name + "_visibility"
	visibility.MaxConns, visibility.MaxIdleConns = 10, 10
	return main, visibility, nil
}

// setupSchema creates the database when it is missing, sets up Temporal's
// schema version tables, and updates it to the newest version the
// embedded schema (schemaName) carries: what `temporal-sql-tool
// create-database`, `setup-schema -v 0.0` and `update-schema
// --schema-name` do. Each step is a no-op when already done.
func setupSchema(cfg config.SQL, schemaName string, logger tlog.Logger) error {
	admin := cfg // DoCreateDatabase points what it is given at the default database
	if err := sqltool.DoCreateDatabase(&admin, "postgres", logger); err != nil && !strings.Contains(err.Error(), "already exists") {
		return fmt.Errorf("create Temporal's database %s: %w", cfg.DatabaseName, err)
	}
	conn, err := sqltool.NewConnection(&cfg, logger)
	if err != nil {
		return fmt.Errorf("connect to Temporal's database %s: %w", cfg.DatabaseName, err)
	}
	defer conn.Close()
	if _, err := conn.ReadSchemaVersion(); err != nil {
		// Never set up: the version tables and version 0.0.
		setup := schema.NewSetupSchemaTask(conn, &schema.SetupConfig{InitialVersion: "0.0", DisableVersioning: false}, logger)
		if err := setup.Run(); err != nil {
			return fmt.Errorf("set up Temporal's schema in %s: %w", cfg.DatabaseName, err)
		}
	}
	update := schema.NewUpdateSchemaTask(conn, &schema.UpdateConfig{DBName: cfg.DatabaseName, SchemaName: schemaName}, logger)
	if err := update.Run(); err != nil {
		return fmt.Errorf("update Temporal's schema in %s: %w", cfg.DatabaseName, err)
	}
	return nil
}

// registerNamespace registers ns when the server does not have it, and
// waits until the frontend knows it (its namespace cache refreshes each
// second).
func registerNamespace(hostPort, ns string) error {
	c, err := client.Dial(client.Options{HostPort: hostPort, Namespace: ns})
	if err != nil {
		return fmt.Errorf("connect to Temporal at %s: %w", hostPort, err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace: ns, WorkflowExecutionRetentionPeriod: durationpb.New(NamespaceRetention),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("register Temporal namespace %q: %w", ns, err)
	}
	for {
		if _, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: ns}); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("Temporal namespace %q was registered but is not served: %w", ns, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// redactURL hides a URL's password.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable)"
	}
	return u.Redacted()
}
