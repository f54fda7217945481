package ui

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulkload/bulk/internal/slowtest"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// -update (or BULK_UI_SCREENSHOTS=1) writes the browser tests' screenshots into docs/ui, where
// docs/ui.md shows them.
var update = flag.Bool("update", false, "write the screenshots of the browser tests into docs/ui")

const chromium = "/usr/bin/chromium"

// browser starts a headless Chromium kept off the network, with a new empty profile.
func browser(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	slowtest.Need(t, "drives a headless Chromium")
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s is not installed (Debian's chromium package; .ci/run installs it): %v", chromium, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancelT := context.WithTimeout(context.Background(), 3*time.Minute)
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	// The browser lives as long as the context of the first run: start it on bctx, so that
	// each step may then run under a timeout of its own.
	if err := chromedp.Do(bctx); err != nil {
		cancelB()
		cancelA()
		cancelT()
		t.Fatalf("starting %s: %v", chromium, err)
	}
	return bctx, func() { cancelB(); cancelA(); cancelT() }
}

type step = chromedp.Action[chromedp.Void]

// waitFor polls a JavaScript condition until it holds (50 s at most: -race on a busy machine).
func waitFor(expr string) step {
	return chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(50*time.Second))
}

// js runs a script in the page, as a person's clicks would: one script sets a choice and
// presses the button, so the page's own updates cannot come between them.
func js(expr string) step { return chromedp.Evaluate[chromedp.Void](expr) }

func text(sel string) string {
	return fmt.Sprintf("((document.querySelector(%q)||{}).textContent||'')", sel)
}

func css(sel string) chromedp.CSS { return chromedp.CSS(sel) }

// shot writes a screenshot of the page, scrolled to sel, into docs/ui (with -update).
func shot(t *testing.T, name, sel string) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if !*update && os.Getenv("BULK_UI_SCREENSHOTS") == "" {
			return nil
		}
		if _, err := js(fmt.Sprintf("document.querySelector(%q).scrollIntoView({block:'start'}); window.scrollBy(0,-50)", sel))(ctx, tg); err != nil {
			return err
		}
		time.Sleep(150 * time.Millisecond)
		png, err := chromedp.CaptureScreenshot()(ctx, tg)
		if err != nil {
			return err
		}
		dir := filepath.Join("..", "..", "docs", "ui")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		t.Logf("screenshot %s", name)
		return os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	})
}

// choose sets a select's value and tells the page, as a person choosing from it.
func choose(sel, value string) step {
	return js(fmt.Sprintf(`(s => { s.value = %q; s.dispatchEvent(new Event("change")); })(document.querySelector(%q))`, value, sel))
}

// TestBrowserFlow drives the page in a real Chromium: the sample workbook into the built-in
// sandbox (upload, fix one cell in the grid, plan, apply, results), then a second tab and a
// reload that show the same run.
func TestBrowserFlow(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	ts := startServer(t)
	abs, err := filepath.Abs(sample)
	if err != nil {
		t.Fatal(err)
	}
	do := func(what string, steps ...step) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		began := time.Now()
		defer func() { t.Logf("%s: %v", what, time.Since(began).Round(time.Millisecond)) }()
		if err := chromedp.Do(sctx, steps...); err != nil {
			dump, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify({error: document.querySelector("#error").textContent, counts: document.querySelector("#counts").textContent, rows: [...document.querySelectorAll("#grid-space .grow")].map(r => r.dataset.row + ":" + r.className).slice(0, 20), table: document.querySelector("#grid-table").value, rule: document.querySelector("#f-rule").value, input: (document.querySelector("#grid-space input")||{}).value, files: document.querySelector("#file-list").textContent, busy: document.querySelector("#busy").textContent, apply: document.querySelector("#apply-status").textContent, results: document.querySelectorAll("#results tbody tr").length, creds: document.querySelector("#creds").textContent, plan: !!state.plan, version: state.version, disabled: document.querySelector("#apply-btn").disabled, log: window.__log})`))
			ts.ws.mu.Lock()
			t.Logf("server: plan %v, job %v, error %q", ts.ws.plan != nil, ts.ws.job != nil, ts.ws.err)
			ts.ws.mu.Unlock()
			t.Fatalf("%s: %v\npage: %s", what, err, dump)
		}
	}
	read := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Evaluate[string](text(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
	}
	do("sign in", chromedp.Navigate(ts.url), chromedp.WaitVisible(css("#drop")),
		waitFor(`location.search === "" && `+text("#target-status")+`.includes("sandbox")`))
	do("instrument", js(`window.__log=[]; window.addEventListener("error", e => __log.push("error " + e.message)); window.addEventListener("unhandledrejection", e => __log.push("rejection " + e.reason)); const of = window.fetch; window.fetch = (...a) => { __log.push((a[1]&&a[1].method||"GET") + " " + a[0]); return of(...a).then(r => { __log.push("done " + a[0] + " " + r.status); return r; }, e => { __log.push("fail " + a[0] + " " + e); throw e; }); }`))
	// The sandbox with its keychain off, so that OneFile returns logins to download.
	do("target", js(`document.querySelector("#keychain").value = "off"; document.querySelector("#target-save").click()`),
		waitFor(`document.querySelector("#keychain").value === "off"`), shot(t, "1-target", "#target"))
	do("upload", chromedp.SetUploadFiles(css("#file-input"), []string{abs}), waitFor(text("#counts")+`.includes("100 rows")`),
		js(`document.querySelector("#mapping-box").open = true`), shot(t, "2-files", "#files"))
	before := read("#counts")
	// The Learners sheet, rows with a date problem: Harry Whitfield's 31/02/2026 on row 13.
	bad := `#grid-space .grow[data-row="13"] .gcell.bad`
	do("grid", waitFor(`document.querySelector("#grid-table").options.length === 3 && document.querySelector('#f-rule option[value="date"]')`),
		choose("#grid-table", "1"), choose("#f-rule", "date"), waitFor(`document.querySelector('`+bad+`')`),
		js(`document.querySelector('`+bad+`').scrollIntoView({inline: "center", block: "nearest"})`), shot(t, "3-problems", "#problems"))
	do("click", chromedp.Click(css(bad)))
	do("input", chromedp.WaitVisible(css("#grid-space input")))
	do("edit", js(`document.querySelector("#grid-space input").value = "28/02/2026"`),
		chromedp.SendKeys(css("#grid-space input"), kb.Enter),
		waitFor(text("#file-list")+`.includes("1 cell changed") && !`+text("#counts")+`.includes("`+strings.TrimSpace(before)+`")`),
		choose("#f-rule", ""), shot(t, "4-fixed", "#problems"))
	after := read("#counts")
	do("plan", chromedp.Click(css("#plan-btn")),
		waitFor(text("#plan-summary")+`.includes(" create") && document.querySelectorAll("#plan-rows tbody tr").length > 0`),
		shot(t, "5-plan", "#plan"))
	do("apply", chromedp.Click(css("#apply-btn")),
		waitFor(text("#apply-status")+`.startsWith("done") && document.querySelectorAll("#results tbody tr").length > 0 && document.querySelector("#creds-link")`),
		shot(t, "6-results", "#apply"))
	results := read("#apply-status")
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("#results tbody tr")].filter(r => r.cells[4].textContent !== "").length`))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("before: %s; after: %s; load: %s; %d rows with a OneFile ID", before, after, results, ids)
	if ids == 0 {
		t.Error("no result row shows a OneFile ID")
	}
	// The page's counts are the server's, which TestFlowAPI compares with the CLI's use case.
	ts.ws.mu.Lock()
	c := ts.ws.val.Counts
	ts.ws.mu.Unlock()
	if got := fmt.Sprintf("%d rows: %d valid, %d rejected", c.Read, c.Valid, c.Rejected); !strings.HasPrefix(after, got) || !strings.Contains(before, "21 rejected") || c.Rejected >= 21 {
		t.Errorf("the page says %q, the server %q; want fewer rejected than the sample's 21 (%q)", after, got, before)
	}

	// A second tab shows the same run (no second load), and so does a reload.
	tab, cancelTab := chromedp.NewContext(ctx)
	defer cancelTab()
	if err := chromedp.Do(tab, chromedp.Navigate(ts.base+"/"), waitFor(text("#apply-status")+`.startsWith("done")`)); err != nil {
		t.Fatal(err)
	}
	second, _ := chromedp.Run(tab, chromedp.Evaluate[string](text("#apply-status")))
	do("reload", chromedp.Reload(), waitFor(text("#apply-status")+`.startsWith("done")`))
	reloaded := read("#apply-status")
	if second != results || reloaded != results {
		t.Errorf("second tab %q, reload %q, first tab %q: want the same run", second, reloaded, results)
	}
}

// TestBrowserScrollsLargeGrid: a 3,000-row workbook's grid holds only the rows in view, and
// scrolling to its end fetches and draws the last ones. (3,000 rows, not more: under -race on
// a busy machine reading them takes most of the time.)
func TestBrowserScrollsLargeGrid(t *testing.T) {
	ctx, cancel := browser(t)
	defer cancel()
	ts := startServer(t)
	wb := learnersWorkbook(t, 3000)
	sctx, cancelS := context.WithTimeout(ctx, 60*time.Second)
	defer cancelS()
	last := `#grid-space .grow[data-row="3001"]`
	err := chromedp.Do(sctx, chromedp.Navigate(ts.url), chromedp.WaitVisible(css("#drop")),
		chromedp.SetUploadFiles(css("#file-input"), []string{wb}), waitFor(text("#counts")+`.includes("3000 rows")`),
		choose("#f-show", ""),
		// Wait for the whole table's height, not only a first row: row 2 may still be the
		// problems-only grid's, whose shorter height would stop the scroll below the end.
		waitFor(`document.querySelector('#grid-space').style.height === (3000 * RH) + "px"`),
		waitFor(`document.querySelector('#grid-space .grow[data-row="2"]')`),
		js(`(s => s.scrollTop = s.scrollHeight)(document.querySelector("#grid-scroll"))`),
		waitFor(`document.querySelector('`+last+`')`))
	if err != nil {
		t.Fatal(err)
	}
	drawn, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#grid-space .grow").length`))
	if err != nil {
		t.Fatal(err)
	}
	if drawn == 0 || drawn > 100 {
		t.Errorf("%d rows in the page for a grid of 3,000, want only those in view", drawn)
	}
}
