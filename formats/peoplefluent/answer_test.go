package peoplefluent

import (
	"strings"
	"testing"
)

func TestParseAnswer(t *testing.T) {
	header := []string{"USERID", "LEARNINGID", "LOTITLE"}
	rows := [][]string{
		{"jsmith", "HS-101", "Health and Safety"},
		{"adoe", "HS-101", "Line one\nline two"},
		{"ghost", "HS-101", ""},
		{"jsmith", "HS-101", "Health and Safety"}, // duplicate of row 0
	}
	const note = "Please go to the last Column to view the error\r\n"
	const hdr = "USERID,LEARNINGID,LOTITLE\r\n"
	tests := []struct {
		name     string
		body     string
		want     []string // status per row, then ":" and a message fragment (or "=" and the exact message)
		wantKind answerKind
	}{
		{"no error", "No Error Occurred\r\n", []string{"ok", "ok", "ok", "ok"}, answerNoError},
		{"no error with header and blank lines", "\r\n" + hdr + "\r\n  No Error Occurred  \r\n\r\n", []string{"ok", "ok", "ok", "ok"}, answerNoError},
		{"empty", "", []string{"warning:empty body", "warning:empty body", "warning:empty body", "warning:empty body"}, answerEmpty},
		{"white space only", " \r\n\r\n", []string{"warning:empty body", "warning:", "warning:", "warning:"}, answerEmpty},
		{"error and warning echoed",
			note + hdr + `"ghost","HS-101","","User ID ghost does not exist."` + "\r\n" + `"adoe","HS-101","Line one` + "\r\n" + `line two","WARNING. Training Venue X does not exist."` + "\r\n",
			[]string{"ok", "warning:=WARNING. Training Venue X does not exist.", "failed:=User ID ghost does not exist.", "ok"}, answerEcho},
		{"note missing, header has an extra column",
			"USERID,LEARNINGID,LOTITLE,Error Message\n\"ghost\",\"HS-101\",\"\",\"bad\"\n",
			[]string{"ok", "ok", "failed:bad", "ok"}, answerEcho},
		{"header missing, rows still matched",
			note + `"ghost","HS-101","","bad user"` + "\n",
			[]string{"ok", "ok", "failed:bad user", "ok"}, answerEcho},
		{"duplicates map in order",
			note + hdr + `"jsmith","HS-101","Health and Safety","first"` + "\n" + `"jsmith","HS-101","Health and Safety","second"` + "\n",
			[]string{"failed:first", "ok", "ok", "failed:second"}, answerEcho},
		{"every row echoed, ok rows with an empty message",
			note + hdr + `"jsmith","HS-101","Health and Safety",""` + "\n" + `"adoe","HS-101","Line one` + "\n" + `line two",""` + "\n" + `"ghost","HS-101","","bad"` + "\n" + `"jsmith","HS-101","Health and Safety",""` + "\n",
			[]string{"ok", "ok", "failed:bad", "ok"}, answerEcho},
		{"user ID echoed lower-case and padded",
			note + hdr + ` "JSMITH" ,"hs-101","health and safety","WARNING. x"` + "\n",
			[]string{"warning:=WARNING. x", "ok", "ok", "ok"}, answerEcho},
		{"trailing empty cells dropped in the echo",
			note + hdr + `"ghost","HS-101"` + "\n",
			[]string{"ok", "ok", "ok", "ok"}, answerEcho},
		{"row the client cannot match",
			note + hdr + `"someone","else","","bad"` + "\n",
			[]string{"warning:could not match", "warning:could not match", "warning:could not match", "warning:could not match"}, answerEcho},
		{"html page",
			"<html><body>Login</body></html>",
			[]string{"warning:looks like a web page", "warning:not in a form", "warning:", "warning:"}, answerUnrecognised},
		{"bom and lazy quotes",
			"\uFEFF" + note + hdr + `"ghost","HS-101","","he said "no""` + "\n",
			[]string{"ok", "ok", `failed:he said "no"`, "ok"}, answerEcho},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, kind := parseAnswer([]byte(tt.body), header, rows, "raw/chunk-0001.txt")
			if kind != tt.wantKind {
				t.Errorf("kind %s, want %s", kind, tt.wantKind)
			}
			if len(got) != len(rows) {
				t.Fatalf("%d outcomes for %d rows", len(got), len(rows))
			}
			for i, w := range tt.want {
				status, frag, _ := strings.Cut(w, ":")
				exact, isExact := strings.CutPrefix(frag, "=")
				if got[i].status != status || !strings.Contains(got[i].message, frag) && !isExact || isExact && got[i].message != exact {
					t.Errorf("row %d: %s %q, want %s containing %q", i, got[i].status, got[i].message, status, frag)
				}
			}
		})
	}
}

func TestParseWholeAnswer(t *testing.T) {
	tests := []struct {
		body, status, frag string
	}{
		{"No Error Occurred\r\n", StatusOK, ""},
		{"", StatusWarning, "empty body"},
		{"Error: module M1 has no title.\r\nError: module M2: start is not before end.\r\n", StatusFailed, "M1 has no title. | Error: module M2"},
		{"WARNING. facility X unknown\r\nNo Error Occurred", StatusWarning, "facility X"},
		{"java.lang.IllegalStateException: boom", StatusFailed, "IllegalStateException"},
		{"Done.", StatusWarning, "not in a form bulk knows"},
	}
	for _, tt := range tests {
		o, _ := parseWholeAnswer([]byte(tt.body), "raw/chunk-0001.txt")
		if o.status != tt.status || !strings.Contains(o.message, tt.frag) {
			t.Errorf("%q: %s %q, want %s containing %q", tt.body, o.status, o.message, tt.status, tt.frag)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct{ msg, status string }{
		{"", StatusOK}, {"  ", StatusOK}, {"No Error Occurred", StatusOK},
		{"WARNING. x", StatusWarning}, {"warning: y", StatusWarning},
		{"User ID x does not exist.", StatusFailed}, {"Warn me", StatusFailed},
	}
	for _, tt := range tests {
		if got := classify(tt.msg).status; got != tt.status {
			t.Errorf("classify(%q) = %s, want %s", tt.msg, got, tt.status)
		}
	}
	long := strings.Repeat("é", maxMessage)
	if m := classify(long).message; len(m) > maxMessage+len("…") || !strings.HasSuffix(m, "…") {
		t.Errorf("long message not clipped: %d bytes", len(m))
	}
}
