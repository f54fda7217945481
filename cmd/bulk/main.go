// Command bulk validates spreadsheets of learners, staff and training, and loads them into
// OneFile or PeopleFluent LMS. Run `bulk --help` for the commands and exit statuses.
package main

import "os"

func main() {
	// main stays thin so that every deferred clean-up in run happens before the process exits.
	stop := startProfile(os.Getenv)
	code := run(os.Args[1:], newApp(os.Stdin, os.Stdout, os.Stderr))
	stop()
	os.Exit(code)
}
