package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCoursesSchemaAgreesWithExporterXSD: for documents in the exporter's vocabulary, the
// sandbox's built-in courses check and xmllint with the schema of the exporter's layout
// (formats/coursesxml/testdata/courses.xsd) give the same verdict: the exporter, its schema and
// the rehearsal cannot drift apart unnoticed. (The built-in check also takes the module schema's
// elements the exporter never writes, such as <objective>; those are left out here.)
func TestCoursesSchemaAgreesWithExporterXSD(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (Debian: apt-get install libxml2-utils); the agreement is not checked")
	}
	xsd := filepath.Join("..", "..", "coursesxml", "testdata", "courses.xsd")
	doc := func(module string) string {
		return `<?xml version="1.0" encoding="UTF-8"?>` + "\n<courses>" + module + "</courses>\n"
	}
	session := `<session><id>S-1</id><code>S1</code><start>2026-09-05T09:00:00</start><end>2026-09-05T17:00:00</end><region>SE</region>` +
		`<instructor><id>instr1</id></instructor><location>Room 4</location><facility><trainingCenter><name>London</name></trainingCenter></facility>` +
		`<deadline>2026-08-29T23:59:59</deadline><seats>12</seats><status>active</status></session>`
	module := func(inner string) string {
		return "<module><id>HS-101</id><title>Health and Safety</title>" + inner + "</module>"
	}
	long := strings.Repeat("x", 86)
	tests := []struct {
		name string
		body string
		ok   bool
	}{
		{"every element the exporter writes", doc(module(`<type>classroom</type><subject>HS</subject><language>fr_CA</language><description>d</description>` +
			`<price><currency>GBP</currency><amount>250.50</amount></price>` + session)), true},
		{"only id and title", doc(module("")), true},
		{"session code without id", doc(module(`<session><code>S1</code><start>2026-09-05T09:00:00</start><end>2026-09-05T17:00:00</end></session>`)), true},
		{"code before id", doc(module(`<session><code>S1</code><id>S-1</id><start>2026-09-05T09:00:00</start><end>2026-09-05T17:00:00</end></session>`)), false},
		{"price after session", doc(module(session + `<price><currency>GBP</currency><amount>5</amount></price>`)), false},
		{"language before subject", doc(module(`<language>en</language><subject>HS</subject>`)), false},
		{"language not a code", doc(module(`<language>English</language>`)), false},
		{"language region in lower case", doc(module(`<language>fr_ca</language>`)), false},
		{"defaultSessionPrice", doc(module(`<defaultSessionPrice>5</defaultSessionPrice>`)), false},
		{"module type not the schema's", doc(module(`<type>R</type>`)), false},
		{"status not the schema's", doc(module(`<session><start>2026-09-05T09:00:00</start><end>2026-09-05T17:00:00</end><status>Active</status></session>`)), false},
		{"negative amount", doc(module(`<price><currency>GBP</currency><amount>-5</amount></price>`)), false},
		{"three decimals", doc(module(`<price><currency>GBP</currency><amount>5.125</amount></price>`)), false},
		{"id of 86 characters", doc("<module><id>" + long + "</id><title>T</title></module>"), false},
		{"title of 256 characters", doc("<module><id>M</id><title>" + strings.Repeat("t", 256) + "</title></module>"), false},
		{"instructor in capitals", doc(module(`<session><start>2026-09-05T09:00:00</start><end>2026-09-05T17:00:00</end><instructor><id>Instr1</id></instructor></session>`)), false},
		{"seats not a number", doc(module(`<session><start>2026-09-05T09:00:00</start><end>2026-09-05T17:00:00</end><seats>ten</seats></session>`)), false},
		{"date not xs:dateTime", doc(module(`<session><start>05/09/2026</start><end>2026-09-05T17:00:00</end></session>`)), false},
		{"no title", doc(`<module><id>M</id></module>`), false},
		{"attribute", doc(`<module id="M"><id>M</id><title>T</title></module>`), false},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, base := serve(t, nil)
			_, answer, _ := post(t, base+"/ekp/contentHandler/courses", "u", key, tt.body)
			sandboxOK := answer == "No Error Occurred\r\n"
			f := filepath.Join(dir, "c.xml")
			if err := os.WriteFile(f, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(xmllint, "--noout", "--nonet", "--schema", xsd, f).CombinedOutput()
			xsdOK := err == nil
			if sandboxOK != tt.ok || xsdOK != tt.ok {
				t.Errorf("sandbox takes it: %v (%q); xmllint takes it: %v (%s); want %v", sandboxOK, answer, xsdOK, out, tt.ok)
			}
		})
	}
}
