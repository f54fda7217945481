// Package pipeline holds the types that cross every stage of bulk's read → validate →
// transform → write pipeline, and the runner that streams records through them.
//
// One record type crosses every stage (Record, seen by rules through Row); a stage never
// loses a record: every row ends accepted or rejected, and the report counts them.
package pipeline

// Severity says whether a problem rejects its row.
type Severity uint8

const (
	// Error rejects the row.
	Error Severity = iota
	// Warning is reported but does not reject the row (unless the run is strict).
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one thing wrong with the input, located as a spreadsheet program shows it.
type Problem struct {
	Source   *Source `json:"-"` // the table; nil for problems about no table
	File     string  // the input's base name
	Sheet    string  // empty for CSV
	Row      int     // as the spreadsheet numbers it: header row 1, first data row 2
	Column   string  // the header as the user wrote it (empty for whole-row or whole-file problems)
	Value    string
	Rule     string // a stable code from the rule list
	Severity Severity
	Message  string // a plain sentence a data officer can act on
}

// Rule describes a stable rule code. Codes are never renamed: data officers and scripts key on them.
type Rule struct {
	Code    string `json:"code"`
	Summary string `json:"summary"`
	Example string `json:"example"` // a value or situation that breaks it
}

// The rule codes the pipeline itself raises. Kinds list their own beside these.
const (
	RuleRequired      = "required"
	RuleMissingColumn = "missing-column"
	RuleUnknownColumn = "unknown-column"
	RuleInteger       = "integer"
	RuleDecimal       = "decimal"
	RuleDate          = "date"
	RuleEmail         = "email"
	RuleULN           = "uln"
	RuleNINO          = "nino"
	RuleMaxLength     = "max-length"
	RuleEnum          = "enum"
	RuleBool          = "boolean"
	RuleDuplicate     = "duplicate"
	RuleMalformed     = "malformed"
	RuleEncoding      = "encoding"
	RuleExcelMangled  = "excel-mangled"
	RuleDuplicateCol  = "duplicate-column"
	RuleEmptyInput    = "empty-input"
	RuleExcelError    = "excel-error"
	RuleTotalsRow     = "totals-row"
	RuleLossyEncoding = "lossy-encoding"
)

// Rules are the rule codes the pipeline itself raises, for `bulk rules` (internal/catalog lists
// them with the kinds' own).
var Rules = []Rule{
	{RuleRequired, "A value the row needs is empty.", "Email left blank on a learner row"},
	{RuleMissingColumn, "A column the kind always needs is not in the header; every row of that sheet is rejected.", "no LastName column"},
	{RuleUnknownColumn, "A column no field of the kind matches; it is ignored (warning). Map it with --map.", "a column headed 'Shoe size'"},
	{RuleDuplicateCol, "Two columns map to the same field; the later one is ignored (warning).", "both 'Forename' and 'First Name'"},
	{RuleInteger, "The value must be a whole number.", "Role '5.5'"},
	{RuleDecimal, "The value must be a number with at most the allowed decimal places.", "Cost '12.345'"},
	{RuleDate, "The value is not a date in an accepted format, or is impossible.", "'31/02/2026'"},
	{RuleEmail, "The value is not a usable e-mail address.", "'jo.bloggs@example'"},
	{RuleULN, "Not a valid Unique Learner Number (10 digits, check digit).", "'1000000063'"},
	{RuleNINO, "Not a valid National Insurance number.", "'GB123456A'"},
	{RuleMaxLength, "The value is longer than the target system accepts.", "a 300-character title"},
	{RuleEnum, "The value is not one of the allowed values.", "Status 'Finished'"},
	{RuleBool, "The value must be true or false (yes/no, 1/0 accepted).", "'maybe'"},
	{RuleDuplicate, "The same key (e.g. Email, MISID, ULN) appears on an earlier row; every later occurrence is rejected.", "the same Email on rows 4 and 9"},
	{RuleMalformed, "The row could not be read cleanly: wrong number of cells or broken quoting.", "a stray '\"' inside a cell"},
	{RuleEncoding, "Bytes that are not valid in the file's detected encoding.", "a lone 0xFF byte in a UTF-8 file"},
	{RuleExcelMangled, "An identifier that a spreadsheet program has changed (scientific notation, lost leading zeros).", "ULN '1.23457E+09'"},
	{RuleEmptyInput, "The file or sheet has no header row or no data.", "an empty sheet"},
	{RuleExcelError, "A cell holds an error Excel shows instead of a value (#N/A, #REF!, #DIV/0!, #VALUE!, #NAME?, #NUM!, #NULL!), or a formula whose value was never saved.", "#N/A from a VLOOKUP that found nothing"},
	{RuleLossyEncoding, "A text cell of a file saved as Windows-1252 (Excel's plain \"CSV\") has '?' where a character it cannot hold may have been lost (warning); save the file as \"CSV UTF-8\". A load refuses the row when it would update a OneFile value to that value with '?' in place of its characters.", "'Adébáy??' for Adébáyọ̀, '?' for 李"},
	{RuleTotalsRow, "A totals line under the data (Total... in its first cell, the rest empty) is not a row to load: it is passed over with a warning.", "'Total: 4 learners'"},
}
