// Package peoplefluent pushes payload files to the PeopleFluent LMS
// contentHandler endpoints (trainingHistoryCsv, externalTrainingCsv, courses)
// and turns the LMS's answers into one result per pushed row.
//
// What is common to every PeopleFluent payload lives here: the system key
// (a Secret that never prints), the HTTP client with its retry policy, CSV
// chunking, parsing of the LMS's echo answers and the results.csv writer.
// Building the payloads themselves is the job of formats/trainingcsv,
// formats/externalcsv and formats/coursesxml; a local receiver for tests and
// rehearsals is in the sandbox subpackage.
//
// The LMS's answer format is not officially documented. What this package
// expects (see ParseAnswer) follows public client code: HTTP 200 even when
// rows fail, the body echoing the rows with a message in an added last
// column, or a line containing "No Error Occurred".
package peoplefluent
