package peoplefluent

import (
	"context"
	"time"
)

// SetSleep replaces the retry wait, so tests record waits instead of sleeping.
func SetSleep(p *Pusher, f func(context.Context, time.Duration) error) { p.sleep = f }

// Golden compares got with testdata/name, or rewrites it with -update.
var Golden = golden
