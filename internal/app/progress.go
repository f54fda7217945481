package app

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/bulkload/bulk/formats/onefile/api"
	"github.com/bulkload/bulk/formats/onefile/load"
	"github.com/bulkload/bulk/pipeline"
)

// progress draws a bar on stderr when it is a terminal, and nothing otherwise: cron mails and
// log files get the summary line only.
type progress struct {
	bar  *progressbar.ProgressBar
	last atomic.Int64
	max  int64
}

func newProgress(d *Deps, quiet bool) *progress {
	p := &progress{}
	if quiet || !d.StderrIsTerminal {
		return p
	}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(d.Stderr),
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

// loadProgress draws a bar on a terminal (rows done, calls/s, retries) and otherwise logs a line
// per stage and now and then.
type loadProgress struct {
	d      *Deps
	quiet  bool
	client *api.Client
	mu     sync.Mutex
	bar    *progressbar.ProgressBar
	start  time.Time
	last   time.Time
	stage  string
}

func newLoadProgress(d *Deps, quiet bool, c *api.Client) *loadProgress {
	return &loadProgress{d: d, quiet: quiet, client: c, start: time.Now()}
}

func (p *loadProgress) logf(format string, args ...any) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	fmt.Fprintf(p.d.stderr(), format+"\n", args...)
}

func (p *loadProgress) update(pr load.Progress) {
	if p.d.LoadProgress != nil {
		p.d.LoadProgress(pr, p.client.Stats())
	}
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.client.Stats()
	rate := float64(st.Calls) / max(time.Since(p.start).Seconds(), 0.001)
	desc := fmt.Sprintf("%s · %.1f calls/s · %d retries", pr.Stage, rate, st.Retries)
	if p.d.StderrIsTerminal {
		if p.bar == nil {
			p.bar = progressbar.NewOptions(pr.Total,
				progressbar.OptionSetWriter(p.d.Stderr),
				progressbar.OptionShowCount(),
				progressbar.OptionSetItsString("rows"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionClearOnFinish(),
			)
		}
		p.bar.Describe(desc)
		_ = p.bar.Set(pr.Done)
		return
	}
	if pr.Stage != p.stage || time.Since(p.last) > 10*time.Second || pr.Done == pr.Total {
		p.stage, p.last = pr.Stage, time.Now()
		// Failed counts rows the load rejected (a reference naming nobody) and rows that
		// failed; the summary line tells them apart, so this line must not call both "failed".
		fmt.Fprintf(p.d.stderr(), "load: %d/%d rows done (%d not loaded) · %s\n", pr.Done, pr.Total, pr.Failed, desc)
	}
}

func (p *loadProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
