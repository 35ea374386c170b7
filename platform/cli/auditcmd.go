package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"cop/platform/audit"
	"cop/platform/store"
)

// auditVerify checks the audit hash chain and reports the first broken link
// and how many rows await sealing. Exit status 1 when the chain is broken.
func auditVerify(args []string, stdout io.Writer) error {
	fs := newFlags("audit verify")
	dataDir := fs.String("data", defaultDataDir(), "cop dev's data folder, used when DATABASE_URL is not set")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dbURL := os.Getenv("DATABASE_URL")
	if dbURL == "" {
		st, err := readDevState(*dataDir)
		if err != nil {
			return fmt.Errorf("DATABASE_URL is not set and no running `cop dev` was found: %w", err)
		}
		dbURL = st.DatabaseURL
	}
	ctx := context.Background()
	pool, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	rep, err := audit.Verify(ctx, pool)
	if err != nil {
		return err
	}
	if *asJSON {
		_ = json.NewEncoder(stdout).Encode(rep)
	} else {
		fmt.Fprintf(stdout, "sealed rows: %d\nawaiting sealing: %d\n", rep.Sealed, rep.Unsealed)
	}
	if rep.Broken != nil {
		return fmt.Errorf("audit chain broken at seq %d (row id %d): %s", rep.Broken.Seq, rep.Broken.ID, rep.Broken.Reason)
	}
	if !*asJSON {
		fmt.Fprintln(stdout, "chain intact")
	}
	return nil
}
