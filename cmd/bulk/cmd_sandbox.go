package main

import "github.com/spf13/cobra"

// 'bulk sandbox' is a parent command shared by every target that has a local
// stand-in (peoplefluent, onefile, ...). Its subcommands come from other
// files, so that two targets never edit the same file, and so that this file
// is the only one that creates the parent:
//
//	func init() { sandboxSubcommands = append(sandboxSubcommands, newSandboxXCmd) }
//
// A target's file must NOT register its own 'sandbox' command with register:
// cobra would then have two commands of that name.

func init() { register(sandboxCmd) }

// sandboxSubcommands are the 'bulk sandbox TARGET' commands, added by the
// targets' files in their init functions.
var sandboxSubcommands []func(*App) *cobra.Command

// sandboxCmd is 'bulk sandbox', holding every registered target sandbox.
func sandboxCmd(a *App) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Run a local stand-in for a target system, to rehearse a load or push",
		Long: `sandbox runs a local receiver that behaves like a target system as far as its public
documentation describes it: it checks authentication and every row, keeps what it loads, and answers
as the target does. Point bulk at the address it prints to rehearse before touching the real system.
It serves until interrupted (Ctrl-C).`,
	}
	for _, f := range sandboxSubcommands {
		cmd.AddCommand(f(a))
	}
	return cmd
}
