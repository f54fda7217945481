package pipeline

import "strconv"

// Outcome is what became of a data row in the run, as a Reporter is told it.
type Outcome uint8

const (
	// Accepted: the row passed every check and went on to the Sink (or there is no Sink).
	Accepted Outcome = iota
	// Rejected: the row failed a check, or the Sink reported a problem on it.
	Rejected
	// Skipped: the row passed every check but Options.Keep held it back from the Sink (a
	// nightly run's diffing: unchanged since it was last sent). It is valid, not rejected.
	Skipped
)

func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Rejected:
		return "rejected"
	case Skipped:
		return "skipped"
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}
