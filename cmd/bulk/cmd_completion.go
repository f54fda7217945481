package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/bulkload/bulk/internal/suggest"
)

// newCompletionCmd replaces cobra's default completion command (which has no examples and only
// says "unknown command" for a mistyped shell) with one that documents installation per shell.
// The scripts themselves are cobra's: they call 'bulk __complete', so KIND arguments, --format
// values and file names complete from the running binary.
func newCompletionCmd(a *App) *cobra.Command {
	shells := []string{"bash", "zsh", "fish", "powershell"}
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish|powershell",
		Short: "Print the shell completion script for bash, zsh, fish or PowerShell",
		Long: `completion prints a script that makes your shell complete bulk's commands, flags, kinds
(bulk template <TAB>) and file names. Load it once per session, or install it for good:

  bash   source <(bulk completion bash)
         bulk completion bash > /etc/bash_completion.d/bulk          (needs bash-completion)
  zsh    bulk completion zsh > "${fpath[1]}/_bulk"                   (then start a new shell;
         compinit must be enabled: echo "autoload -U compinit; compinit" >> ~/.zshrc)
  fish   bulk completion fish > ~/.config/fish/completions/bulk.fish
  PowerShell
         bulk completion powershell | Out-String | Invoke-Expression`,
		Example: `  source <(bulk completion bash)
  bulk completion zsh > "${fpath[1]}/_bulk"
  bulk completion fish > ~/.config/fish/completions/bulk.fish`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cannotRun(fmt.Errorf("give one shell, got %d arguments", len(args)), "For example: source <(bulk completion bash). Run 'bulk completion --help' for the others.")
			}
			return nil
		},
		ValidArgs: shells,
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), a.Stdout
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			case "powershell":
				return root.GenPowerShellCompletionWithDesc(out)
			}
			hint := "Give one of: bash, zsh, fish, powershell."
			if s := suggest.Nearest(args[0], shells); len(s) > 0 {
				hint = fmt.Sprintf("Did you mean 'bulk completion %s'?", s[0])
			}
			return cannotRun(fmt.Errorf("no completion for the shell %q", args[0]), hint)
		},
	}
	cmd.Flags().SortFlags = false
	return cmd
}
