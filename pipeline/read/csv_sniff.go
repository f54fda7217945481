package read

// delimiters are the candidates sniffing chooses among, in the order that breaks ties: comma is
// what most programs write, semicolon what Excel writes where the decimal mark is a comma, tab
// what "Text (Tab delimited)" writes, and the pipe what some MIS exports use.
var delimiters = [...]byte{',', ';', '\t', '|'}

// sniffRecords is how many records after the header the sniffer looks at.
const sniffRecords = 50

// sniffDelimiter chooses the delimiter of a CSV from the start of its decoded text. complete says
// the sample is the whole file (so its last line counts even without a line end).
//
// The rule: count each candidate outside quotes on the header and on up to 50 records after it.
// A candidate must appear in the header. Among those, the one for which the most records have
// exactly as many as the header wins; a tie goes to the candidate appearing more often in the
// header, then to the order , ; tab |. With no candidate in the header (a one-column file) the
// answer is a comma.
func sniffDelimiter(sample []byte, complete bool) byte {
	var counts, header, agree [len(delimiters)]int
	records := 0
	inQuote, nonEmpty := false, false
	end := func() {
		if records == 0 {
			header = counts
		} else {
			for k := range counts {
				if header[k] > 0 && counts[k] == header[k] {
					agree[k]++
				}
			}
		}
		records++
		counts = [len(delimiters)]int{}
		nonEmpty = false
	}
	for _, c := range sample {
		if records > sniffRecords {
			break
		}
		switch {
		case c == '"':
			inQuote = !inQuote
			nonEmpty = true
		case inQuote:
		case c == '\n' || c == '\r':
			if nonEmpty {
				end()
			}
		default:
			nonEmpty = true
			for k, d := range delimiters {
				if c == d {
					counts[k]++
				}
			}
		}
	}
	if complete && nonEmpty && records <= sniffRecords {
		end()
	}
	best := -1
	for k := range delimiters {
		if header[k] == 0 {
			continue
		}
		if best < 0 || agree[k] > agree[best] || agree[k] == agree[best] && header[k] > header[best] {
			best = k
		}
	}
	if best < 0 {
		return ','
	}
	return delimiters[best]
}
