// Package sandbox is an in-memory stand-in for the OneFile API v2.1, used by
// the tests of the OneFile client and loader and by `bulk sandbox onefile`
// for rehearsing a load without an account.
//
// It implements the documented subset of the API (see
// ../shared/reference/onefile-api.md and the vendor guides): authentication
// with a customer token and expiring sessions, the customer and organisation
// lookups, user create / partial update / read, assignment of users to
// learners, and the paged and unpaged searches of users, classrooms,
// placements, standards and units. It answers 429 above a rolling-window rate
// limit and can inject faults (latency, 500s before a change, changes that are
// committed but whose connection is then dropped, stalls, 429 bursts, a
// read-after-write lag of user searches) from a seeded random source so that
// a run is repeatable. User searches answer summaries (ID, names, MISID,
// Email, Role, DefaultAssessorID), as real centres do, unless Config.SearchMode
// is SearchFull; GET /User/{id} answers every field.
//
// Where the vendor documentation is silent the sandbox is deliberately
// stricter than OneFile is known to be (unknown JSON fields, learner-only
// fields on staff, a PlacementID on staff that take none, bodies that are not
// a JSON object, wrong reference roles are all rejected with 400; bodies not
// sent as JSON with 415) so that mistakes show up in rehearsal rather than on
// live. docs/onefile-api.md lists every such decision.
//
// A Server is an http.Handler and safe for concurrent use. Mount it at the
// root of an HTTP server: it serves the API under Config.BasePath (default
// /api/v2.1), so the base URL is http://HOST:PORT/api/v2.1.
package sandbox
