package main

import (
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bulkload/bulk/pipeline"
)

// progress draws a bar on stderr when it is a terminal, and nothing otherwise: cron mails and
// log files get the summary line only.
type progress struct {
	bar  *progressbar.ProgressBar
	last atomic.Int64
	max  int64
}

func newProgress(a *App, quiet bool) *progress {
	p := &progress{}
	if quiet || !a.StderrIsTerminal {
		return p
	}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(a.Stderr),
		progressbar.OptionSetDescription("reading"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSpinnerType(14),
	)
	return p
}

func (p *progress) rows(pr pipeline.Progress) {
	if p.bar == nil {
		return
	}
	if pr.Expected > 0 && pr.Expected != p.max {
		p.max = pr.Expected
		p.bar.ChangeMax64(pr.Expected) // an estimate: a percentage and a time left
	}
	prev := p.last.Swap(pr.Rows)
	p.bar.Add64(pr.Rows - prev)
}

func (p *progress) finish() {
	if p.bar != nil {
		p.bar.Finish()
	}
}
