package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/version"
)

func newVersionCmd(a *App) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print bulk's version, commit, Go version and platform",
		Long: `version prints the version and commit stamped in by the release command (scripts/release.sh),
the Go version it was built with and the platform it runs on. summary.json carries the same
version and commit as bulk_version. --format json prints them for scripts.`,
		Example: `  bulk version
  bulk version --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			in := version.Get()
			if format == "json" {
				e := json.NewEncoder(a.Stdout)
				e.SetIndent("", "  ")
				return e.Encode(in)
			}
			_, err := fmt.Fprintf(a.Stdout, "bulk %s\n  commit  %s\n  go      %s\n  os      %s/%s\n", in.Version, in.Commit, in.GoVersion, in.OS, in.Arch)
			return err
		},
	}
	formatFlag(cmd, &format)
	return cmd
}
